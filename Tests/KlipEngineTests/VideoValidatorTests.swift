import Foundation
import KlipEngine
import Testing

@Suite("Video and audio limits")
struct VideoValidatorTests {
    func rejection(_ body: () async throws -> Void) async -> String? {
        do { try await body() } catch let EngineError.inputRejected(message) { return message } catch { return "other error: \(error)" }
        return nil
    }

    @Test func acceptsASampleClip() async throws {
        let facts = try await VideoValidator.check(videoPath: Media.path("one-face.mp4"))
        #expect(facts.width == 1280 && facts.height == 720)
        #expect(near(facts.durationMs, 10_000, 40))
        #expect(facts.fps == 25)
        #expect(facts.hasAudio)
        #expect(facts.sizeBytes > 10_000)
    }

    @Test func rejectsATooShortClip() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short.mp4").path
        try await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x512:r=25:d=1.5", "-c:v", "libx264", "-preset", "ultrafast", path])
        let message = await rejection { _ = try await VideoValidator.check(videoPath: path) }
        #expect(message == "video is 1.5 s long; Kling accepts 2 to 60 s")
    }

    @Test func rejectsATooSmallClip() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("small.mp4").path
        try await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=3", "-c:v", "libx264", "-preset", "ultrafast", path])
        let message = await rejection { _ = try await VideoValidator.check(videoPath: path) }
        #expect(message == "video height is 360 px (640x360); Kling accepts 512 to 2160 px on each side")
    }

    @Test func rejectsAnotherContainer() async throws {
        let message = await rejection { _ = try await VideoValidator.check(videoPath: "/nonexistent/clip.avi") }
        #expect(message == "video clip.avi is .avi; Kling accepts .mp4 or .mov")
    }

    @Test func missingFileIsAMediaError() async throws {
        await #expect {
            _ = try await VideoValidator.check(videoPath: "/nonexistent/gone.mp4")
        } throws: { error in
            guard case let .media(message)? = error as? EngineError else { return false }
            return message.contains("/nonexistent/gone.mp4")
        }
    }

    @Test func aFileWithoutExtensionIsJudgedByItsContainer() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("download-1").path
        try FileManager.default.copyItem(atPath: Media.path("two-faces.mp4"), toPath: video)
        let facts = try await VideoValidator.check(videoPath: video)
        #expect(facts.width == 1280 && near(facts.durationMs, 8000, 40))

        let audio = dir.appendingPathComponent("download-2").path
        try FileManager.default.copyItem(atPath: Media.path("speech.wav"), toPath: audio)
        await #expect {
            _ = try await VideoValidator.check(videoPath: audio)
        } throws: { error in
            guard case let .media(message)? = error as? EngineError else { return false }
            return message == "\(audio): has no video stream"
        }
    }

    @Test func smallerLimitsApply() async throws {
        var limits = EngineLimits.kling
        limits.videoMaxBytes = 1000
        let message = await rejection { _ = try await VideoValidator.check(videoPath: Media.path("one-face.mp4"), limits: limits) }
        #expect(message?.hasPrefix("video is 2") == true, "\(message ?? "accepted")")
        #expect(message?.hasSuffix(" KB; Kling accepts at most 1000 bytes") == true, "\(message ?? "accepted")")
    }

    @Test func audioLimits() async throws {
        let duration = try await AudioValidator.check(audioPath: Media.path("speech.wav"))
        #expect(duration > 3000 && duration < 6000)
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("blip.wav").path
        try await ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", path])
        let message = await rejection { _ = try await AudioValidator.check(audioPath: path) }
        #expect(message == "audio is 1 s long; Kling accepts 2 to 60 s")
    }
}
