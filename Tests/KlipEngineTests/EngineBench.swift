import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

/// Speed figures for scripts/bench-engine; runs only with KLIP_BENCH=1. It asserts that the
/// work was right, never how fast it was: the figures are printed as `bench:` lines.
@Suite("Engine benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1"), .serialized)
struct EngineBench {
    func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func report(_ line: String) { print("bench: \(line)") }

    @Test func identifyFractionOfRealTime() async throws {
        let clip = Media.path("one-face.mp4")  // 10 s, 1280x720, 25 fps
        let facts = try await VideoValidator.check(videoPath: clip)
        let realTime = Double(facts.durationMs) / 1000
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        for (label, rate) in [("searching 8.33 frames/s (default)", 8.33), ("searching 12.5 frames/s", 12.5), ("searching every frame", 25.0)] {
            var options = FaceTrackingOptions.default
            options.detectionsPerSecond = rate
            let identifier = FaceIdentifier(options: options)
            var tracks: [FaceTrack] = []
            let cold = try await seconds { tracks = try await identifier.identify(videoPath: clip, cropsDirectory: dir) }
            var warm = Double.infinity
            for _ in 0..<2 {
                warm = min(warm, try await seconds { tracks = try await identifier.identify(videoPath: clip, cropsDirectory: dir) })
            }
            #expect(tracks.count == 1)
            let partial = try await identifier.identify(videoPath: Media.path("partial-face.mp4"), cropsDirectory: dir)
            #expect(partial.count == 1)
            report(String(format: "identify %@ on %.1f s %dx%d: %.2f s = %.3fx real time (first call with model load %.2f s); partial-face interval %@ (truth 3000-7000)",
                          label, realTime, facts.width, facts.height, warm, warm / realTime, cold,
                          partial.map { "\($0.startMs)-\($0.endMs)" }.joined(separator: ",")))
        }
    }

    @Test func renderVersusBareFFmpeg() async throws {
        let clip = Media.path("one-face.mp4"), speech = Media.path("speech.wav")
        let facts = try await VideoValidator.check(videoPath: clip)
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let request = RenderRequest(videoPath: clip, audioPath: speech, soundStartMs: 0, soundEndMs: 3000, insertMs: 2000,
                                    soundVolume: 1, originalVolume: 0.5, outputPath: dir.appendingPathComponent("render.mp4").path)
        let renderer = LipSyncRenderer()
        // The same encode and audio edit in one plain ffmpeg call: the floor for the pipeline.
        let graph = AudioMix(soundStartMs: 0, soundEndMs: 3000, insertMs: 2000, soundVolume: 1, originalVolume: 0.5,
                             videoDurationMs: facts.durationMs).filterGraph(original: "0:a", sound: "1:a")
        let encode = ["-c:v", "libx264", "-preset", renderer.preset, "-crf", "\(renderer.crf)", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
        let bare = ["-i", clip, "-i", speech, "-filter_complex", graph, "-map", "0:v", "-map", "[aout]"] + encode
            + [dir.appendingPathComponent("bare.mp4").path]
        let copy = ["-i", clip, "-i", speech, "-filter_complex", graph, "-map", "0:v", "-map", "[aout]", "-c:v", "copy",
                    "-c:a", "aac", "-b:a", "128k", dir.appendingPathComponent("copy.mp4").path]

        // The same frame route through a shell pipe: ffmpeg | ffmpeg with rgb24 in between.
        func quoted(_ args: [String]) -> String { args.map { "'\($0)'" }.joined(separator: " ") }
        let shellPipe = "ffmpeg -nostdin -v error -i '\(clip)' -map 0:v -f rawvideo -pix_fmt rgb24 - | ffmpeg -nostdin -v error -y "
            + quoted(FrameWriter.rawVideoInput(width: facts.width, height: facts.height, fps: facts.fps)
                     + ["-vn", "-i", clip, "-vn", "-i", speech, "-filter_complex",
                        AudioMix(soundStartMs: 0, soundEndMs: 3000, insertMs: 2000, soundVolume: 1, originalVolume: 0.5,
                                 videoDurationMs: facts.durationMs).filterGraph(original: "1:a", sound: "2:a"),
                        "-map", "0:v", "-map", "[aout]"] + encode + [dir.appendingPathComponent("shell.mp4").path])
        var pipeline = Double.infinity, plain = Double.infinity, copied = Double.infinity, shell = Double.infinity
        var output: VideoFacts?
        for _ in 0..<2 {
            pipeline = min(pipeline, try await seconds { output = try await renderer.render(request) })
            plain = min(plain, try await seconds { try await ffmpeg(bare) })
            copied = min(copied, try await seconds { try await ffmpeg(copy) })
            shell = min(shell, try await seconds {
                let status = try await ProcessRunner.run("bash", ["-o", "pipefail", "-c", shellPipe])
                try #require(status.status == 0, "\(status.stderr)")
            })
        }
        #expect(near(output?.durationMs ?? 0, facts.durationMs, 40))
        report(String(format: "render %.1f s 720p (decode pipe -> identity stage -> x264 %@ + audio mix in one encode) %.2f s; bare ffmpeg re-encode + same mix %.2f s; ratio %.2f",
                      Double(facts.durationMs) / 1000, renderer.preset, pipeline, plain, pipeline / plain))
        report(String(format: "  for scale: ffmpeg|ffmpeg shell pipe of rgb24 frames, same encode %.2f s (ratio %.2f to bare); video stream copy + mix %.2f s",
                      shell, shell / plain, copied))
    }
}
