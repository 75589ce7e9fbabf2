import Foundation
import KlipMedia

/// Finds and tracks the faces of a video. Owns one dlib detector: the model loads on the
/// first call and is reused; concurrent calls on one identifier take turns on it one
/// detection at a time (use one identifier per worker for parallel work).
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
        let video = try await DisplayedVideo.probe(videoPath)
        let detector = try await loadedDetector()
        let fps = video.fps, durationMs = video.durationMs
        let reader: FrameReader
        do { reader = try FrameReader(path: videoPath, width: video.width, height: video.height, pixelFormat: .yuv420p,
                                     constantRate: fps) } catch {
            throw EngineError.from(error)
        }
        let options = self.options
        let result: (tracks: [FaceTrack], crops: [Crop])
        do {
            result = try await withTaskCancellationHandler {
                try await DedicatedThread.run(name: "klip-identify") {
                    try Self.track(reader: reader, detector: detector, fps: fps, durationMs: durationMs, options: options)
                }
            } onCancel: {
                reader.cancel()
            }
        } catch {
            throw EngineError.from(error)
        }
        guard !result.tracks.isEmpty else {
            let name = (videoPath as NSString).lastPathComponent
            throw EngineError.noFace("no face found in \(name): no face of at least ~\(options.smallestFace) px seen in \(options.minSamples) or more searched frames")
        }
        do {
            try FileManager.default.createDirectory(at: cropsDirectory, withIntermediateDirectories: true)
            for (track, crop) in zip(result.tracks, result.crops) {
                let path = cropsDirectory.appendingPathComponent("face-\(track.index).jpg").path
                try await ImageWriter.write(pixels: crop.pixels, width: crop.width, height: crop.height,
                                            pixelFormat: .yuv420p, to: path)
            }
        } catch {
            throw EngineError.from(error)
        }
        return result.tracks
    }

    struct Crop: Sendable {
        var width: Int, height: Int, pixels: [UInt8]
    }

    /// The blocking part: one pass over the frames (see `TrackingPass`, and `FaceSearch` for
    /// why it searches where it does).
    private static func track(reader: FrameReader, detector: FaceDetector, fps: Double, durationMs: Int,
                              options: FaceTrackingOptions) throws -> (tracks: [FaceTrack], crops: [Crop]) {
        var pass = TrackingPass(detector: detector, width: reader.width, height: reader.height, fps: fps, options: options)
        var pixels: [UInt8] = []
        while try reader.read(into: &pixels) { pass.take(&pixels) }
        try reader.close()
        return pass.finish(durationMs: durationMs)
    }

    /// A square around the face with room for hair and chin, kept inside the frame, cut
    /// from a yuv420p frame (even position and size, so the chroma planes cut cleanly).
    static func crop(_ frame: [UInt8], width: Int, height: Int, around face: DetectedFace) -> Crop {
        var side = Int(Double(max(face.width, face.height)) * 1.8)
        side = min(side, width, height) & ~1
        let cx = face.x + face.width / 2, cy = face.y + face.height / 2
        let x0 = max(0, min(width - side, cx - side / 2)) & ~1, y0 = max(0, min(height - side, cy - side / 2)) & ~1
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2, half = side / 2
        var pixels = [UInt8](repeating: 0, count: RawPixelFormat.yuv420p.frameBytes(width: side, height: side))
        pixels.withUnsafeMutableBytes { dst in
            frame.withUnsafeBytes { src in
                for row in 0..<side {
                    dst.baseAddress!.advanced(by: row * side)
                        .copyMemory(from: src.baseAddress!.advanced(by: (y0 + row) * width + x0), byteCount: side)
                }
                for plane in 0..<2 {
                    let from = width * height + plane * chromaWidth * chromaHeight
                    let to = side * side + plane * half * half
                    for row in 0..<half {
                        dst.baseAddress!.advanced(by: to + row * half).copyMemory(
                            from: src.baseAddress!.advanced(by: from + (y0 / 2 + row) * chromaWidth + x0 / 2), byteCount: half)
                    }
                }
            }
        }
        return Crop(width: side, height: side, pixels: pixels)
    }
}
