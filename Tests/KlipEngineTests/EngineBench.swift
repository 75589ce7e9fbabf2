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

    /// CPU seconds used so far by this process and its finished children (ffmpeg): steadier
    /// than wall time on a shared machine.
    func cpuSeconds() -> Double {
        var total = 0.0
        #if os(Linux)
        let whom = [__rusage_who_t(RUSAGE_SELF.rawValue), __rusage_who_t(RUSAGE_CHILDREN.rawValue)]
        #else
        let whom = [RUSAGE_SELF, RUSAGE_CHILDREN]
        #endif
        for who in whom {
            var usage = rusage()
            getrusage(who, &usage)
            total += Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        return total
    }

    /// (best wall, best CPU) seconds of `runs` runs.
    func measure(runs: Int = 2, _ body: () async throws -> Void) async rethrows -> (wall: Double, cpu: Double) {
        var wall = Double.infinity, cpu = Double.infinity
        for _ in 0..<runs {
            let cpu0 = cpuSeconds()
            wall = min(wall, try await seconds(body))
            cpu = min(cpu, cpuSeconds() - cpu0)
        }
        return (wall, cpu)
    }

    /// identify on 10 s clips (goal: <= 0.3x real time at 720p and 1080p) against bare ffmpeg
    /// decoding of the same clip to what identify reads, in the same run.
    @Test func identifyFractionOfRealTime() async throws {
        let faces = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: faces) }
        let env = ProcessInfo.processInfo.environment
        let corpus = env["KLIP_FACES_DIR"].map { URL(fileURLWithPath: $0) } ?? faces
        _ = try await FaceCorpus.make(["talk-720p", "talk-1080p"], into: corpus)
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let identifier = FaceIdentifier()
        try await identifier.warmUp()
        let clips = [(Media.path("one-face.mp4"), 1), (corpus.appendingPathComponent("talk-720p.mp4").path, 2),
                     (corpus.appendingPathComponent("talk-1080p.mp4").path, 2)]
        for (clip, faceCount) in clips {
            let facts = try await VideoValidator.check(videoPath: clip)
            let realTime = Double(facts.durationMs) / 1000
            let decode = try await measure { try await ffmpeg(["-i", clip, "-map", "0:V:0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "/dev/null"]) }
            var tracks: [FaceTrack] = []
            let warm = try await measure { tracks = try await identifier.identify(videoPath: clip, cropsDirectory: dir) }
            #expect(tracks.count == faceCount, "\(clip)")
            report(String(format: "identify %@ (%.1f s %dx%d, %d faces): %.2f s wall = %.3fx real time (%.2f s CPU); bare decode to yuv420p %.2f s wall (%.2f s CPU): identify %.1fx the decode",
                          (clip as NSString).lastPathComponent, realTime, facts.width, facts.height, tracks.count, warm.wall,
                          warm.wall / realTime, warm.cpu, decode.wall, decode.cpu, warm.wall / decode.wall))
        }
    }

    /// Does nothing, in rgb24: the cost of the colour conversions a pixel stage in RGB adds.
    struct RGBPassStage: FrameStage, Sendable {
        mutating func process(_ frame: inout VideoFrame) throws {}
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

        var output: VideoFacts?
        let pipeline = try await measure { output = try await renderer.render(request) }
        let plain = try await measure { try await ffmpeg(bare) }
        let copied = try await measure { try await ffmpeg(copy) }
        let rgb = try await measure { output = try await renderer.render(request, stage: RGBPassStage()) }
        #expect(near(output?.durationMs ?? 0, facts.durationMs, 40))
        report(String(format: "render %.1f s 720p (decode pipe -> identity stage in yuv420p -> x264 %@ + audio mix in one encode): %.2f s wall, %.2f s CPU; bare ffmpeg re-encode + same mix: %.2f s wall, %.2f s CPU; ratio %.2f wall, %.2f CPU",
                      Double(facts.durationMs) / 1000, renderer.preset, pipeline.wall, pipeline.cpu, plain.wall, plain.cpu,
                      pipeline.wall / plain.wall, pipeline.cpu / plain.cpu))
        report(String(format: "  the same pipeline with an rgb24 stage (what a pixel stage in RGB pays): %.2f s wall, %.2f s CPU; ratio %.2f wall, %.2f CPU. Video stream copy + mix: %.2f s wall",
                      rgb.wall, rgb.cpu, rgb.wall / plain.wall, rgb.cpu / plain.cpu, copied.wall))
    }
}
