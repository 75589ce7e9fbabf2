import Foundation
@testable import KlipMedia
import Testing

/// The display rotation comes from the one (cached) ffprobe answer: a render used to run a
/// second, uncached ffprobe for it, the whole cost of a `--render none` task.
@Suite struct RotationProbeTests {
    @Test func theProbeReportsTheDisplayRotation() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let upright = try await makeClip(in: dir)
        let rotated = dir.appendingPathComponent("rotated.mp4").path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", upright, "-c", "copy",
                                                 "-metadata:s:v:0", "rotate=90", rotated])
        let sideways = try await MediaProbe.probeUncached(rotated)
        #expect(sideways.video?.rotationDegrees == 90)
        #expect(sideways.video?.width == 320 && sideways.video?.height == 240)
        #expect(try await MediaProbe.probeUncached(upright).video?.rotationDegrees == 0)
        #expect(await VideoOrientation.rotationDegrees(of: rotated) == 90)
        #expect(await VideoOrientation.rotationDegrees(of: upright) == 0)
        #expect(await VideoOrientation.rotationDegrees(of: dir.appendingPathComponent("missing.mp4").path) == 0)
    }
}
