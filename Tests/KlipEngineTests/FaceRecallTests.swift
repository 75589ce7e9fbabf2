import Foundation
import KlipEngine
import Testing

/// Recall and precision on a small part of the make-faces corpus, made at test time: every
/// face of 64 px and up found, no false face, interval ends within 120 ms of the truth.
@Suite("Face recall on generated clips", .serialized)
struct FaceRecallTests {
    /// The corpus made once per test run, whichever test asks first.
    static let corpus = Task<URL, any Error> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klip-faces-\(UUID().uuidString)")
        _ = try await FaceCorpus.make(clips, into: directory)
        return directory
    }

    /// 512x512 with a 64 px face crossing it; 640x360 with 64 and 72 px; 720p: two faces
    /// rolled 20-25 degrees and one squeezed (turned), a 90 px face crossing the frame on
    /// screen for 1.2 s, gaps of 0.52 s (the same face) and 1.6 s (a new one), no face;
    /// 1080p: an 80 px face rolled 15 degrees standing still where the frame's own 8 px cells
    /// fall badly on it (its follow lost it after a few frames: 760 ms off), and the held-out
    /// still-1080p (faces of 70-98 px rolled or squeezed, standing still, one entering and one
    /// leaving: 720 ms off before the follow's half-cell retry).
    static let clips = ["small-512", "small-360p", "turned-720p", "brief-720p", "gaps-720p", "clutter-720p",
                        "turned-1080p", "still-1080p"]

    @Test(arguments: clips) func everyFaceFoundAndNoOther(clip: String) async throws {
        let directory = try await Self.corpus.value
        let truth = try FaceTruth.load(directory.appendingPathComponent("\(clip).json").path)
        let tracks = try await FaceCorpus.identify(directory.appendingPathComponent("\(clip).mp4").path, with: sharedIdentifier)
        let score = RecallScore(truth: truth, tracks: tracks)
        #expect(score.found == score.expected, "\(clip): \(score)")
        #expect(score.falseFaces == 0, "\(clip): \(score)")
        #expect(score.worstIntervalErrorMs <= 120, "\(clip): \(score)")
        #expect(tracks.count == truth.faces.filter(\.required).count, "\(clip): \(tracks.map { "\($0.startMs)-\($0.endMs)" })")
    }
}
