import Foundation
import KlipEngine
import KlipMedia
import Testing

/// The recall table of scripts/bench-faces over the whole make-faces corpus; runs only with
/// KLIP_BENCH=1 (KLIP_FACES_DIR: where the corpus is, made there if missing). It prints,
/// never asserts speed.
@Suite("Face recall benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1"), .serialized)
struct FaceRecallBench {
    @Test func recallTable() async throws {
        let env = ProcessInfo.processInfo.environment
        let (directory, names) = try await FaceCorpus.fromEnvironment()
        var options = FaceTrackingOptions.default
        if env["KLIP_COARSE_SEARCH"] == "1" { options.coarseSearch = true }
        if let seconds = env["KLIP_FINE_SECONDS"].flatMap(Double.init) { options.fineSearchSeconds = seconds }
        let identifier = FaceIdentifier(options: options)
        try await identifier.warmUp()
        print("bench: clip                 size        expected found false  worst-ms  identify/real-time  (under 64 px found)")
        var totals = (expected: 0, found: 0, falseFaces: 0, worst: 0)
        for name in names {
            let video = directory.appendingPathComponent("\(name).mp4").path
            let truth = try FaceTruth.load(directory.appendingPathComponent("\(name).json").path)
            let start = ContinuousClock.now
            let tracks = try await FaceCorpus.identify(video, with: identifier)
            let elapsed = ContinuousClock.now - start
            let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let score = RecallScore(truth: truth, tracks: tracks)
            totals.expected += score.expected; totals.found += score.found
            totals.falseFaces += score.falseFaces; totals.worst = max(totals.worst, score.worstIntervalErrorMs)
            print("bench: " + [name.padding(toLength: 20, withPad: " ", startingAt: 0),
                               "\(truth.width)x\(truth.height)".padding(toLength: 11, withPad: " ", startingAt: 0),
                               String(format: "%8d %5d %5d %9d %10.2fx", score.expected, score.found, score.falseFaces,
                                      score.worstIntervalErrorMs, wall * 1000 / Double(truth.duration_ms)),
                               score.optionalTotal > 0 ? "        \(score.optional)/\(score.optionalTotal)" : "",
                               score.missed.isEmpty ? "" : "  missed: \(score.missed.joined(separator: " "))"].joined(separator: " "))
        }
        print("bench: total                            \(totals.expected)    \(totals.found)    \(totals.falseFaces)    \(totals.worst)")
    }
}
