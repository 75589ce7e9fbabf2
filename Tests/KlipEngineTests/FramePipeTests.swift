import Foundation
import KlipEngine
import KlipMedia
import Testing

@Suite("Frame pipes")
struct FramePipeTests {
    func countFrames(_ reader: FrameReader) async throws -> (frames: Int, bytes: Set<Int>) {
        try await DedicatedThread.run(name: "count") {
            var buffer: [UInt8] = [], frames = 0, sizes = Set<Int>()
            while try reader.read(into: &buffer) { frames += 1; sizes.insert(buffer.count) }
            try reader.close()
            return (frames, sizes)
        }
    }

    @Test func readsEveryFrameAtItsExactSize() async throws {
        let all = try await countFrames(FrameReader(path: Media.path("one-face.mp4"), width: 1280, height: 720))
        #expect(all.frames == 250)
        #expect(all.bytes == [1280 * 720 * 3])
        let sampled = try await countFrames(FrameReader(path: Media.path("one-face.mp4"), width: 320, height: 180,
                                                        scale: true, everyNthFrame: 10))
        #expect(sampled.frames == 25)
        #expect(sampled.bytes == [320 * 180 * 3])
    }

    @Test func brokenInputFailsNamingTheFile() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("junk.mp4").path
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: path))
        await #expect {
            _ = try await countFrames(FrameReader(path: path, width: 640, height: 360))
        } throws: { error in
            guard case let .invalidMedia(failed, _)? = error as? MediaError else { return false }
            return failed == path
        }
    }

    @Test func cancellingARenderStopsItAndLeavesNoOutput() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cancelled.mp4").path
        // A copy of its own, so the ffmpeg that shows the render has started is this one's.
        let video = dir.appendingPathComponent("render-input.mp4").path
        try FileManager.default.copyItem(atPath: Media.path("one-face.mp4"), toPath: video)
        let request = RenderRequest(videoPath: video, audioPath: Media.path("speech.wav"),
                                    soundStartMs: 0, soundEndMs: 3000, insertMs: 0, outputPath: out)
        let task = Task { try await LipSyncRenderer().render(request) }
        let started = await childStarted("ffmpeg", on: video)
        #expect(started, "no ffmpeg on \(video) was seen: the cancel may have landed before the render")
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func cancellingIdentifyStopsIt() async throws {
        try await sharedIdentifier.warmUp()
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("identify-input.mp4").path
        try FileManager.default.copyItem(atPath: Media.path("one-face.mp4"), toPath: video)
        let task = Task { try await sharedIdentifier.identify(videoPath: video, cropsDirectory: dir) }
        // The frame pipe's ffmpeg runs once the probe and the model are done: tracking has begun.
        let started = await childStarted("ffmpeg", on: video)
        #expect(started, "no ffmpeg on \(video) was seen: the cancel may have landed before tracking")
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("face-0.jpg").path))
    }

    @Test func imageWriterWritesJPEGAndPNG() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A red-to-blue gradient, 64x48.
        var rgb = [UInt8](repeating: 0, count: 64 * 48 * 3)
        for x in 0..<64 { for y in 0..<48 { rgb[(y * 64 + x) * 3] = UInt8(x * 4); rgb[(y * 64 + x) * 3 + 2] = UInt8(255 - x * 4) } }
        for name in ["a.jpg", "a.png"] {
            let path = dir.appendingPathComponent(name).path
            try await ImageWriter.write(rgb: rgb, width: 64, height: 48, to: path)
            let info = try await MediaProbe.probe(path)
            #expect(info.video?.codec == (name.hasSuffix("png") ? "png" : "mjpeg"))
            #expect(info.video?.width == 64 && info.video?.height == 48)
        }
    }
}
