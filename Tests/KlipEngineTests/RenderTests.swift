import Foundation
import KlipEngine
import KlipMedia
import Testing

/// The lip-sync v1 render, measured from the decoded output: test tones at known
/// frequencies and amplitudes, so each track's level and the insert point can be read back.
@Suite("Lip-sync render: audio edit and pipeline")
struct RenderTests {
    /// 4 s 640x360 video whose original audio is a 250 Hz tone of amplitude 0.4 (or none).
    func makeVideo(in dir: URL, withAudio: Bool) async throws -> String {
        let path = dir.appendingPathComponent(withAudio ? "video.mp4" : "silent.mp4").path
        var args = ["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=4"]
        if withAudio { args += ["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*250*t):s=48000:d=4", "-c:a", "aac", "-b:a", "128k"] }
        try await ffmpeg(args + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", "4", path])
        return path
    }

    /// 3 s of a 1000 Hz tone of amplitude 0.5 standing in for speech.
    func makeTone(in dir: URL) async throws -> String {
        let path = dir.appendingPathComponent("tone.wav").path
        try await ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=3", path])
        return path
    }

    /// The first millisecond from which the 1000 Hz tone is at least half of `level`
    /// (4 ms windows: a whole number of periods of both tones).
    func onsetMs(_ samples: [Float], from: Int, to: Int, level: Double) -> Int? {
        (from..<to).first { amplitude(samples, frequency: 1000, fromMs: $0, toMs: $0 + 4) >= level / 2 }.map { $0 + 2 }
    }

    @Test func mixesTheClipAtTheInsertPointWithBothVolumes() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try await makeVideo(in: dir, withAudio: true)
        let tone = try await makeTone(in: dir)
        let out = dir.appendingPathComponent("out.mp4").path
        // Clip 0.5-2.5 s of the tone, inserted at 1.2 s: the tone plays 1.2-3.2 s.
        let facts = try await LipSyncRenderer().render(RenderRequest(
            videoPath: video, audioPath: tone, soundStartMs: 500, soundEndMs: 2500, insertMs: 1200,
            soundVolume: 0.8, originalVolume: 0.5, outputPath: out))
        let input = try await MediaProbe.probe(video)
        #expect(near(facts.durationMs, input.videoDurationMs ?? 0, 40), "output \(facts.durationMs) ms")
        #expect(facts.width == 640 && facts.height == 360 && facts.hasAudio)
        let info = try await MediaProbe.probe(out)
        #expect(info.video?.codec == "h264" && info.audio?.codec == "aac")
        #expect(near(info.audioDurationMs ?? 0, 4000, 40), "audio \(info.audioDurationMs ?? -1) ms")

        let pcm = try await decodePCM(out)
        let original = 0.4 * 0.5, inserted = 0.5 * 0.8
        // Before, during and after the insert.
        #expect(near(amplitude(pcm, frequency: 250, fromMs: 200, toMs: 1100), original, relative: 0.05))
        #expect(amplitude(pcm, frequency: 1000, fromMs: 200, toMs: 1100) < 0.01)
        #expect(near(amplitude(pcm, frequency: 250, fromMs: 1400, toMs: 3000), original, relative: 0.05))
        #expect(near(amplitude(pcm, frequency: 1000, fromMs: 1400, toMs: 3000), inserted, relative: 0.05))
        #expect(amplitude(pcm, frequency: 1000, fromMs: 3400, toMs: 3900) < 0.01)
        #expect(near(amplitude(pcm, frequency: 250, fromMs: 3400, toMs: 3900), original, relative: 0.05))
        let onset = try #require(onsetMs(pcm, from: 900, to: 1600, level: inserted))
        #expect(near(onset, 1200, 20), "onset at \(onset) ms")
        let offset = try #require(onsetMs(pcm.reversed(), from: pcm.count / 48 - 3600, to: pcm.count / 48 - 2800, level: inserted))
        #expect(near(pcm.count / 48 - offset, 3200, 20), "tone ends at \(pcm.count / 48 - offset) ms")
    }

    @Test func silentVideoGetsTheNewAudioPaddedToItsLength() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try await makeVideo(in: dir, withAudio: false)
        let tone = try await makeTone(in: dir)
        let out = dir.appendingPathComponent("out.mp4").path
        let facts = try await LipSyncRenderer().render(RenderRequest(
            videoPath: video, audioPath: tone, soundStartMs: 0, soundEndMs: 2000, insertMs: 500,
            soundVolume: 1.5, originalVolume: 1, outputPath: out))
        #expect(facts.hasAudio)
        #expect(near(facts.durationMs, 4000, 40))
        let info = try await MediaProbe.probe(out)
        #expect(near(info.audioDurationMs ?? 0, 4000, 40), "audio \(info.audioDurationMs ?? -1) ms")
        let pcm = try await decodePCM(out)
        #expect(amplitude(pcm, frequency: 1000, fromMs: 100, toMs: 400) < 0.01)
        #expect(near(amplitude(pcm, frequency: 1000, fromMs: 700, toMs: 2300), 0.75, relative: 0.05))
        #expect(amplitude(pcm, frequency: 1000, fromMs: 2700, toMs: 3900) < 0.01)
        let onset = try #require(onsetMs(pcm, from: 200, to: 900, level: 0.75))
        #expect(near(onset, 500, 20), "onset at \(onset) ms")
    }

    @Test func framesPassThroughUnchanged() async throws {
        // The identity stage: the output's frames match the input's up to encoder loss.
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.mp4").path
        let facts = try await LipSyncRenderer().render(RenderRequest(
            videoPath: Media.path("one-face.mp4"), audioPath: Media.path("speech.wav"),
            soundStartMs: 0, soundEndMs: 3000, insertMs: 1000, outputPath: out))
        #expect(near(facts.durationMs, 10_000, 40), "output \(facts.durationMs) ms")
        #expect(facts.width == 1280 && facts.height == 720 && facts.fps == 25)
        let a = try FrameReader(path: Media.path("one-face.mp4"), width: 160, height: 90, scale: true, everyNthFrame: 50)
        let b = try FrameReader(path: out, width: 160, height: 90, scale: true, everyNthFrame: 50)
        let (frames, maxDiff) = try await DedicatedThread.run(name: "compare") { () -> (Int, Double) in
            var x: [UInt8] = [], y: [UInt8] = [], count = 0, worst = 0.0
            while try a.read(into: &x) {
                guard try b.read(into: &y) else { break }
                count += 1
                let diff = zip(x, y).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
                worst = max(worst, Double(diff) / Double(x.count))
            }
            try a.close(); try b.close()
            return (count, worst)
        }
        #expect(frames == 5)
        #expect(maxDiff < 4, "mean abs difference \(maxDiff)")
    }

    /// An rgb24 stage painting a red square from frame 50 on: the pipeline hands each stage
    /// frames in the layout it asks for, and its edits reach the output.
    struct PaintStage: FrameStage, Sendable {
        mutating func process(_ frame: inout VideoFrame) throws {
            guard frame.index >= 50 else { return }
            for y in 0..<100 {
                for x in 0..<100 {
                    let offset = (y * frame.width + x) * 3
                    frame.pixels[offset] = 255; frame.pixels[offset + 1] = 0; frame.pixels[offset + 2] = 0
                }
            }
        }
    }

    @Test func anRGBStageEditsTheFrames() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("painted.mp4").path
        #expect(PaintStage().pixelFormat == .rgb24 && IdentityStage().pixelFormat == .yuv420p)
        let facts = try await LipSyncRenderer().render(RenderRequest(
            videoPath: Media.path("one-face.mp4"), audioPath: Media.path("speech.wav"),
            soundStartMs: 0, soundEndMs: 3000, insertMs: 0, outputPath: out), stage: PaintStage())
        #expect(near(facts.durationMs, 10_000, 40))
        let reader = try FrameReader(path: out, width: 1280, height: 720, everyNthFrame: 25)
        let corners = try await DedicatedThread.run(name: "read") { () -> [[UInt8]] in
            var frame: [UInt8] = [], corners: [[UInt8]] = []
            while try reader.read(into: &frame) { corners.append(Array(frame[(50 * 1280 + 50) * 3 ..< (50 * 1280 + 50) * 3 + 3])) }
            try reader.close()
            return corners
        }
        try #require(corners.count == 10)
        func red(_ p: [UInt8]) -> Bool { p[0] > 200 && p[1] < 60 && p[2] < 60 }
        #expect(!red(corners[0]) && !red(corners[1]), "\(corners[0]) \(corners[1])")
        #expect(corners[2...].allSatisfy(red), "\(corners)")
    }

    @Test func noneModeCopiesTheInput() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("copy.mp4").path
        let facts = try await LipSyncRenderer(mode: .none).render(RenderRequest(
            videoPath: Media.path("two-faces.mp4"), audioPath: Media.path("speech.wav"),
            soundStartMs: 0, soundEndMs: 2000, insertMs: 0, outputPath: out))
        let original = try Data(contentsOf: URL(fileURLWithPath: Media.path("two-faces.mp4")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == original)
        #expect(facts.sizeBytes == Int64(original.count))
    }

    @Test func unreadableAudioIsAMediaErrorNamingTheFile() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        await #expect {
            _ = try await LipSyncRenderer().render(RenderRequest(
                videoPath: Media.path("one-face.mp4"), audioPath: dir.appendingPathComponent("missing.wav").path,
                soundStartMs: 0, soundEndMs: 2000, insertMs: 0, outputPath: dir.appendingPathComponent("o.mp4").path))
        } throws: { error in
            guard case let .media(message)? = error as? EngineError else { return false }
            return message.contains("missing.wav")
        }
    }
}
