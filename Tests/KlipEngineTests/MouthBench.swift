import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

/// Speed of the mouth-animation render for scripts/bench-render; runs only with
/// KLIP_BENCH=1 and prints `bench:` lines (never timed assertions).
@Suite("Mouth render benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1"), .serialized)
struct MouthBench {
    let bench = EngineBench()

    @Test func mouthRenderVersusBareFFmpeg() async throws {
        let clip = Media.path("one-face.mp4"), speech = Media.path("speech.wav")  // 10 s 1280x720 25 fps
        let facts = try await VideoValidator.check(videoPath: clip)
        let realTime = Double(facts.durationMs) / 1000
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let face = try #require(try await sharedIdentifier.identify(videoPath: clip, cropsDirectory: dir).first)
        let audioMs = try await MediaProbe.probe(speech).durationMs
        // Speech over most of the clip: three inserts would need three renders, so one long
        // clip of the sound, looped by inserting it at 1 s (3.5 s of animated frames).
        let request = RenderRequest(videoPath: clip, audioPath: speech, soundStartMs: 0, soundEndMs: audioMs, insertMs: 1000,
                                    soundVolume: 1, originalVolume: 0.5, face: face,
                                    outputPath: dir.appendingPathComponent("render.mp4").path)
        let renderer = LipSyncRenderer(mode: .full)
        let graph = AudioMix(soundStartMs: 0, soundEndMs: audioMs, insertMs: 1000, soundVolume: 1, originalVolume: 0.5,
                             videoDurationMs: facts.durationMs).filterGraph(original: "0:a", sound: "1:a")
        let bare = ["-i", clip, "-i", speech, "-filter_complex", graph, "-map", "0:v", "-map", "[aout]",
                    "-c:v", "libx264", "-preset", renderer.preset, "-crf", "\(renderer.crf)", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", dir.appendingPathComponent("bare.mp4").path]

        _ = try await SharedLandmarkModel.detector()  // the model loads once per process
        var output: VideoFacts?
        let mouth = try await bench.measure { output = try await renderer.render(request) }
        var identity = request
        identity.face = nil
        let plain = try await bench.measure { output = try await renderer.render(identity) }
        let floor = try await bench.measure { try await ffmpeg(bare) }
        #expect(near(output?.durationMs ?? 0, facts.durationMs, 40))
        bench.report(String(format: "mouth render %.1f s %dx%d (%.1f s of speech animated): %.2f s wall = %.2fx real time, %.2f s CPU; bare ffmpeg decode + re-encode + same mix: %.2f s wall, %.2f s CPU; ratio %.2f wall, %.2f CPU",
                            realTime, facts.width, facts.height, Double(audioMs) / 1000, mouth.wall, mouth.wall / realTime, mouth.cpu,
                            floor.wall, floor.cpu, mouth.wall / floor.wall, mouth.cpu / floor.cpu))
        bench.report(String(format: "  the same render without a face (identity stage): %.2f s wall, %.2f s CPU; ratio %.2f wall, %.2f CPU",
                            plain.wall, plain.cpu, plain.wall / floor.wall, plain.cpu / floor.cpu))

        // Where the time goes inside the stage, frame by frame (no encoder): landmarks and warp.
        let stage = try await MouthStage.make(for: request, face: face)
        let reader = try FrameReader(path: clip, width: facts.width, height: facts.height, pixelFormat: .yuv420p, constantRate: facts.fps)
        let (stageSeconds, frames) = try await DedicatedThread.run(name: "bench-stage") { () throws -> (Double, Int) in
            var stage = stage
            var buffer: [UInt8] = []
            var index = 0, spent = Duration.zero
            while try reader.read(into: &buffer) {
                let start = ContinuousClock.now
                try buffer.withUnsafeMutableBytes { pixels in
                    var frame = VideoFrame(index: index, timeMs: Int((Double(index) * 1000 / facts.fps).rounded()),
                                           width: facts.width, height: facts.height, pixelFormat: .yuv420p, pixels: pixels)
                    try stage.process(&frame)
                }
                spent += ContinuousClock.now - start
                index += 1
            }
            try reader.close()
            return (Double(spent.components.seconds) + Double(spent.components.attoseconds) / 1e18, index)
        }
        let animated = stage.envelope.values.filter { $0 > 0.005 }.count
        bench.report(String(format: "  stage alone: %.2f s for %d frames (%d animated): %.1f ms per animated frame",
                            stageSeconds, frames, animated, stageSeconds * 1000 / Double(max(1, animated))))
    }
}
