import Foundation
import KlipMedia

/// Finds and tracks the faces of a video. Owns one dlib detector: the model loads on the
/// first call and is reused; concurrent calls on one identifier run one after another.
public actor FaceIdentifier {
    public let modelPath: String
    public let options: FaceTrackingOptions
    private var detector: FaceDetector?

    public init(modelPath: String = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat",
                options: FaceTrackingOptions = .default) {
        self.modelPath = modelPath
        self.options = options
    }

    /// Loads the model now rather than in the first `identify`.
    public func warmUp() async throws {
        _ = try await loadedDetector()
    }

    private func loadedDetector() async throws -> FaceDetector {
        if let detector { return detector }
        let path = modelPath
        let loaded = try await DedicatedThread.run(name: "klip-model-load") { try FaceDetector(modelPath: path) }
        // Another call may have loaded it while this one waited: keep one.
        if let detector { return detector }
        detector = loaded
        return loaded
    }

    /// Tracks the faces in a (validated) video and writes one crop image per face into
    /// cropsDirectory as "face-<index>.jpg". Throws `EngineError.noFace` when no face is
    /// seen long enough, `.media` when the video cannot be read.
    public func identify(videoPath: String, cropsDirectory: URL) async throws -> [FaceTrack] {
        let info: MediaInfo
        do { info = try await MediaProbe.probe(videoPath) } catch { throw EngineError.from(error) }
        guard let video = info.video, video.width > 0, video.height > 0 else {
            throw EngineError.media("\(videoPath): has no video stream")
        }
        let detector = try await loadedDetector()
        let fps = video.fps > 0 ? video.fps : 25
        let step = max(1, Int((fps / options.samplesPerSecond).rounded()))
        let durationMs = video.durationMs ?? info.durationMs
        let reader: FrameReader
        do { reader = try FrameReader(path: videoPath, width: video.width, height: video.height, everyNthFrame: step) } catch {
            throw EngineError.from(error)
        }
        let options = self.options
        let result: (tracks: [FaceTrack], crops: [Crop])
        do {
            result = try await withTaskCancellationHandler {
                try await DedicatedThread.run(name: "klip-identify") {
                    try Self.track(reader: reader, detector: detector, fps: fps, step: step,
                                   durationMs: durationMs, options: options)
                }
            } onCancel: {
                reader.cancel()
            }
        } catch {
            throw EngineError.from(error)
        }
        guard !result.tracks.isEmpty else {
            let name = (videoPath as NSString).lastPathComponent
            throw EngineError.noFace("no face found in \(name): none seen in \(options.minSamples) or more sampled frames (faces must be frontal and at least ~\(Int(80 * Double(min(video.width, video.height)) / Double(options.detectionShortSide))) px tall)")
        }
        do {
            try FileManager.default.createDirectory(at: cropsDirectory, withIntermediateDirectories: true)
            for (track, crop) in zip(result.tracks, result.crops) {
                let path = cropsDirectory.appendingPathComponent("face-\(track.index).jpg").path
                try await ImageWriter.write(rgb: crop.pixels, width: crop.width, height: crop.height, to: path)
            }
        } catch {
            throw EngineError.from(error)
        }
        return result.tracks
    }

    struct Crop: Sendable {
        var width: Int, height: Int, pixels: [UInt8]
    }

    /// The blocking part: one pass over the sampled frames.
    private static func track(reader: FrameReader, detector: FaceDetector, fps: Double, step: Int, durationMs: Int,
                              options: FaceTrackingOptions) throws -> (tracks: [FaceTrack], crops: [Crop]) {
        let width = reader.width, height = reader.height
        let scale = min(1, Double(options.detectionShortSide) / Double(min(width, height)))
        var tracker = FaceTracker(options: options, stepMs: Int((Double(step) * 1000 / fps).rounded()))
        var best: [Int: (score: Double, crop: Crop)] = [:]
        var frame: [UInt8] = []
        var index = 0
        while try reader.read(into: &frame) {
            let timeMs = Int((Double(index * step) * 1000 / fps).rounded())
            index += 1
            let faces = frame.withUnsafeBytes {
                detector.detect(rgb: $0, width: width, height: height, scale: scale, threshold: options.threshold)
            }
            let ids = tracker.add(timeMs: timeMs, faces: faces)
            for (face, id) in zip(faces, ids) where face.score > (best[id]?.score ?? -.infinity) {
                best[id] = (face.score, crop(frame, width: width, height: height, around: face))
            }
        }
        try reader.close()
        let (tracks, ids) = tracker.finish(durationMs: durationMs)
        return (tracks, ids.map { best[$0]!.crop })
    }

    /// A square around the face with room for hair and chin, kept inside the frame.
    static func crop(_ frame: [UInt8], width: Int, height: Int, around face: DetectedFace) -> Crop {
        var side = Int(Double(max(face.width, face.height)) * 1.8)
        side = min(side, width, height) & ~1
        let cx = face.x + face.width / 2, cy = face.y + face.height / 2
        let x0 = max(0, min(width - side, cx - side / 2)), y0 = max(0, min(height - side, cy - side / 2))
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        pixels.withUnsafeMutableBytes { dst in
            frame.withUnsafeBytes { src in
                for row in 0..<side {
                    let from = ((y0 + row) * width + x0) * 3
                    dst.baseAddress!.advanced(by: row * side * 3)
                        .copyMemory(from: src.baseAddress!.advanced(by: from), byteCount: side * 3)
                }
            }
        }
        return Crop(width: side, height: side, pixels: pixels)
    }
}
