import Foundation
import KlipMedia

public struct RenderRequest: Sendable {
    public var videoPath: String
    public var audioPath: String
    public var soundStartMs: Int
    public var soundEndMs: Int
    public var insertMs: Int
    public var soundVolume: Double
    public var originalVolume: Double
    /// The face to animate (used by the mouth stage).
    public var face: FaceTrack?
    public var outputPath: String

    public init(videoPath: String, audioPath: String, soundStartMs: Int, soundEndMs: Int, insertMs: Int,
                soundVolume: Double = 1, originalVolume: Double = 1, face: FaceTrack? = nil, outputPath: String) {
        self.videoPath = videoPath; self.audioPath = audioPath
        self.soundStartMs = soundStartMs; self.soundEndMs = soundEndMs; self.insertMs = insertMs
        self.soundVolume = soundVolume; self.originalVolume = originalVolume
        self.face = face; self.outputPath = outputPath
    }
}

/// `none` does no rendering at all: the output is a copy of the input video (load tests);
/// callers must label such results.
public enum RenderMode: String, Sendable { case full, none }

/// Renders a lip-sync result: decode pipe -> per-frame stage -> encode pipe, where the
/// encode call also performs the audio edit. With a face, the stage is the mouth animation
/// (`MouthStage`); without one, the identity.
public struct LipSyncRenderer: Sendable {
    public let mode: RenderMode
    /// libx264 preset and quality of the output.
    public var preset = "veryfast"
    public var crf = 20

    public init(mode: RenderMode = .full) {
        self.mode = mode
    }

    /// Writes `request.outputPath` (H.264 + AAC mp4, as long as the input video) and
    /// returns the facts of the written file.
    public func render(_ request: RenderRequest) async throws -> VideoFacts {
        if mode == .full, let face = request.face {
            return try await render(request, stage: try await MouthStage.make(for: request, face: face))
        }
        return try await render(request, stage: IdentityStage())
    }

    /// The same with a custom per-frame stage.
    public func render<Stage: FrameStage & Sendable>(_ request: RenderRequest, stage: Stage) async throws -> VideoFacts {
        // The new audio must be readable; probe it alongside the video.
        async let soundChecked: Void = Self.checkSound(request.audioPath, needed: mode == .full)
        let input = try await DisplayedVideo.probe(request.videoPath)
        try await soundChecked
        let output = request.outputPath
        try? FileManager.default.removeItem(atPath: output)
        switch mode {
        case .none:
            do { try FileManager.default.copyItem(atPath: request.videoPath, toPath: output) } catch {
                throw EngineError.media("\(output): cannot be written (\(error.localizedDescription))")
            }
        case .full:
            try await encode(request, input: input, stage: stage)
        }
        // A copy keeps the input's rotation; an encode is written upright.
        var facts = try await DisplayedVideo.probe(output, rotated: mode == .none).facts
        if facts.sizeBytes == 0 { facts.sizeBytes = VideoValidator.fileSize(output) }
        return facts
    }

    private static func checkSound(_ path: String, needed: Bool) async throws {
        guard needed else { return }
        let sound: MediaInfo
        do { sound = try await MediaProbe.probe(path) } catch { throw EngineError.from(error) }
        guard sound.audio != nil else { throw EngineError.media("\(path): has no audio stream") }
    }

    private func encode<Stage: FrameStage & Sendable>(_ request: RenderRequest, input video: DisplayedVideo,
                                                      stage: Stage) async throws {
        guard request.soundStartMs >= 0, request.soundEndMs > request.soundStartMs, request.insertMs >= 0 else {
            throw EngineError.inputRejected("sound range \(request.soundStartMs)-\(request.soundEndMs) ms inserted at \(request.insertMs) ms is not a valid clip")
        }

        let fps = video.fps, durationMs = video.durationMs
        let mix = AudioMix(soundStartMs: request.soundStartMs, soundEndMs: request.soundEndMs, insertMs: request.insertMs,
                           soundVolume: request.soundVolume, originalVolume: request.originalVolume,
                           videoDurationMs: durationMs)
        let hasOriginal = video.info.audio != nil
        let format = stage.pixelFormat
        var arguments = FrameWriter.rawVideoInput(width: video.width, height: video.height, fps: fps, pixelFormat: format)
        if hasOriginal { arguments += ["-vn", "-i", request.videoPath] }
        arguments += ["-vn", "-i", request.audioPath]
        arguments += ["-filter_complex", mix.filterGraph(original: hasOriginal ? "1:a" : nil, sound: hasOriginal ? "2:a" : "1:a"),
                      "-map", "0:v", "-map", "[aout]",
                      "-c:v", "libx264", "-preset", preset, "-crf", "\(crf)", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", request.outputPath]
        let reader: FrameReader
        let writer: FrameWriter
        do {
            // Constant rate: frame n is at n / fps, as the encoder input says, so a variable-rate
            // video stays in sync with its own audio.
            reader = try FrameReader(path: request.videoPath, width: video.width, height: video.height, pixelFormat: format,
                                     constantRate: fps)
            writer = try FrameWriter(arguments: arguments, outputPath: request.outputPath)
        } catch { throw EngineError.from(error) }
        do {
            try await withTaskCancellationHandler {
                try await Self.pump(reader: reader, writer: writer, fps: fps, stage: stage)
            } onCancel: {
                reader.cancel()
                writer.cancel()
            }
        } catch {
            // Let both tools exit before removing the partial output: a dying ffmpeg may still
            // be writing (or, with +faststart, reopening) it.
            reader.cancel()
            writer.cancel()
            _ = try? await DedicatedThread.run(name: "klip-render-cleanup") {
                try? reader.close()
                try? writer.finish()
            }
            try? FileManager.default.removeItem(atPath: request.outputPath)
            throw EngineError.from(error)
        }
    }

    /// The frame loop on two dedicated threads: decode + stage on one, encoder writes on the
    /// other (see FrameHandoff). Either failing stops the other quietly, so its own error is
    /// the one reported (a broken input surfaces as the decoder's error).
    private static func pump<Stage: FrameStage & Sendable>(reader: FrameReader, writer: FrameWriter, fps: Double,
                                                           stage: Stage) async throws {
        let handoff = FrameHandoff()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await DedicatedThread.run(name: "klip-render-write") {
                    do { try drain(handoff, into: writer) } catch { handoff.abandon(); throw error }
                }
            }
            group.addTask {
                try await DedicatedThread.run(name: "klip-render") {
                    var stage = stage
                    do { try produce(reader: reader, handoff: handoff, fps: fps, stage: &stage) } catch { handoff.abandon(); throw error }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Decodes and processes frames into the handoff, then waits for the decoder.
    private static func produce<Stage: FrameStage>(reader: FrameReader, handoff: FrameHandoff, fps: Double,
                                                   stage: inout Stage) throws {
        var buffer: [UInt8] = []
        var index = 0
        while try reader.read(into: &buffer) {
            try buffer.withUnsafeMutableBytes { pixels in
                var frame = VideoFrame(index: index, timeMs: Int((Double(index) * 1000 / fps).rounded()),
                                       width: reader.width, height: reader.height, pixelFormat: reader.pixelFormat,
                                       pixels: pixels)
                try stage.process(&frame)
            }
            guard handoff.put(&buffer) else { return }
            index += 1
        }
        try reader.close()
        handoff.finish()
    }

    /// Writes the handed-off frames to the encoder, then waits for it.
    private static func drain(_ handoff: FrameHandoff, into writer: FrameWriter) throws {
        while let frame = handoff.take() {
            try writer.write(frame)
            handoff.recycle(frame)
        }
        guard !handoff.isAbandoned else { return }
        try writer.finish()
    }
}
