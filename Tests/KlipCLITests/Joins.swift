import Foundation
import KlipMedia

/// The audio of a rendered file as ffmpeg decodes it (mono float, 48 kHz), and what a
/// listener hears at a join: a click is a jump from one sample to the next far larger than
/// the waveforms on either side ever make; a gap is a run of silence.
struct DecodedAudio {
    static let rate = 48_000
    let samples: [Float]

    static func decode(_ path: String) async throws -> DecodedAudio {
        let out = try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-i", path, "-map", "0:a:0",
                                                           "-ac", "1", "-ar", String(rate), "-f", "f32le", "-"])
        let samples = out.stdout.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return DecodedAudio(samples: samples)
    }

    func index(ms: Int) -> Int { ms * Self.rate / 1000 }

    /// The largest sample-to-sample step in `range` (clamped to the track).
    func largestStep(_ range: Range<Int>) -> Float {
        let r = max(1, range.lowerBound)..<min(samples.count, range.upperBound)
        var worst: Float = 0
        for i in r { worst = max(worst, abs(samples[i] - samples[i - 1])) }
        return worst
    }

    /// The longest run (in samples) quieter than `level` inside `range`.
    func longestQuiet(_ range: Range<Int>, below level: Float) -> Int {
        var run = 0, longest = 0
        for i in max(0, range.lowerBound)..<min(samples.count, range.upperBound) {
            run = abs(samples[i]) < level ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// At a join `at` ms: the largest step within 10 ms of it, against the largest step the
    /// waveforms make 30-130 ms before and after it (their own steepest slope).
    func join(atMs at: Int) -> (step: Float, natural: Float, quietMs: Double) {
        let j = index(ms: at), w = index(ms: 10)
        let natural = max(largestStep(j - index(ms: 130)..<j - index(ms: 30)), largestStep(j + index(ms: 30)..<j + index(ms: 130)))
        let quiet = longestQuiet(j - w..<j + w, below: 0.01)
        return (largestStep(j - w..<j + w), natural, Double(quiet) * 1000 / Double(Self.rate))
    }
}
