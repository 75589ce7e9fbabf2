import Foundation
import KlipEngine
import KlipMedia
import Testing

/// A phone-style video: frames stored sideways plus a display rotation. Everything the
/// engine reports and writes must be in the upright, displayed orientation.
@Suite("Rotated input")
struct RotationTests {
    @Test func rotatedVideoIsValidatedTrackedAndRenderedUpright() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sideways = dir.appendingPathComponent("sideways.mp4").path
        let rotated = dir.appendingPathComponent("rotated.mp4").path
        try await ffmpeg(["-i", Media.path("one-face.mp4"), "-t", "3", "-vf", "transpose=clock",
                          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", sideways])
        try await ffmpeg(["-i", sideways, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        #expect(await VideoOrientation.rotationDegrees(of: rotated) == 90)
        let coded = try await MediaProbe.probe(rotated)
        #expect(coded.video?.width == 720 && coded.video?.height == 1280)

        let facts = try await VideoValidator.check(videoPath: rotated)
        #expect(facts.width == 1280 && facts.height == 720)

        let tracks = try await sharedIdentifier.identify(videoPath: rotated, cropsDirectory: dir)
        try #require(tracks.count == 1)
        // Where the upright clip has the face (x ~ 520-580, y ~ 180-220, ~210 px).
        #expect(tracks[0].samples.allSatisfy { (480...620).contains($0.x) && (150...260).contains($0.y) })

        let out = dir.appendingPathComponent("out.mp4").path
        let rendered = try await LipSyncRenderer().render(RenderRequest(
            videoPath: rotated, audioPath: Media.path("speech.wav"), soundStartMs: 0, soundEndMs: 2000, insertMs: 500,
            outputPath: out))
        #expect(rendered.width == 1280 && rendered.height == 720)
        #expect(await VideoOrientation.rotationDegrees(of: out) == 0)
    }
}
