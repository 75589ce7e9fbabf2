import CFaceLandmarks
import Foundation
import KlipMedia

/// A face found by the detector, in source pixels.
public struct DetectedFace: Sendable, Equatable {
    public var x, y, width, height: Int
    public var score: Double

    public init(x: Int, y: Int, width: Int, height: Int, score: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.score = score
    }

    /// A tracked box, e.g. to ask for its landmarks.
    public init(_ sample: FaceSample, score: Double = 1) {
        self.init(x: sample.x, y: sample.y, width: sample.width, height: sample.height, score: score)
    }
}

/// One dlib HOG detector plus the 68-point shape predictor. dlib is not thread-safe: every
/// call takes the lock, so a detector shared by mistake is slow rather than corrupt. Calls
/// block; make them from a `DedicatedThread`.
public final class FaceDetector: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()

    /// Loads the model (~1 s). Throws `EngineError.media` naming the path.
    public init(modelPath: String) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = cfl_create(modelPath, &message, message.count) else {
            let detail = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EngineError.media("\(modelPath): cannot load the face landmark model (\(detail))")
        }
        self.handle = handle
    }

    deinit { cfl_destroy(handle) }

    /// Faces in a frame, strongest first. The frame is shrunk by `scale` for the search;
    /// boxes are in the frame's own pixels. A yuv420p frame is searched on its Y plane
    /// (no colour conversion); rgb24 is converted to grey.
    public func detect(frame: UnsafeRawBufferPointer, width: Int, height: Int, pixelFormat: RawPixelFormat = .rgb24,
                       scale: Double, threshold: Double, maxFaces: Int = 32) -> [DetectedFace] {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self),
              frame.count >= pixelFormat.frameBytes(width: width, height: height) else { return [] }
        var out = [cfl_face](repeating: cfl_face(), count: maxFaces)
        lock.lock(); defer { lock.unlock() }
        let n = switch pixelFormat {
        case .rgb24: cfl_detect(handle, base, Int32(width), Int32(height), Int32(width * 3), scale, threshold, &out, Int32(maxFaces))
        case .yuv420p: cfl_detect_grey(handle, base, Int32(width), Int32(height), Int32(width), scale, threshold, &out, Int32(maxFaces))
        }
        guard n > 0 else { return [] }
        return out.prefix(min(Int(n), maxFaces)).map {
            DetectedFace(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height), score: $0.score)
        }
    }

    /// Faces in one region of a yuv420p frame (searched on its Y plane), resized by `scale`
    /// (up to 4: above 1 enlarges, for faces smaller than the detector's window). Boxes are
    /// in the frame's pixels.
    public func detect(yuv420p frame: UnsafeRawBufferPointer, width: Int, height: Int, region: FaceSample,
                       scale: Double, threshold: Double, maxFaces: Int = 8) -> [DetectedFace] {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self),
              frame.count >= RawPixelFormat.yuv420p.frameBytes(width: width, height: height) else { return [] }
        var out = [cfl_face](repeating: cfl_face(), count: maxFaces)
        lock.lock(); defer { lock.unlock() }
        let n = cfl_detect_region_grey(handle, base, Int32(width), Int32(height), Int32(width), Int32(region.x), Int32(region.y),
                                       Int32(region.width), Int32(region.height), scale, threshold, &out, Int32(maxFaces))
        guard n > 0 else { return [] }
        return out.prefix(min(Int(n), maxFaces)).map {
            DetectedFace(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height), score: $0.score)
        }
    }

    /// Faces in a packed RGB24 frame (see `detect(frame:...)`).
    public func detect(rgb: UnsafeRawBufferPointer, width: Int, height: Int, scale: Double,
                       threshold: Double, maxFaces: Int = 32) -> [DetectedFace] {
        detect(frame: rgb, width: width, height: height, pixelFormat: .rgb24, scale: scale, threshold: threshold, maxFaces: maxFaces)
    }

    /// The 68 landmarks (iBUG 300-W order) of the face in `box`, in frame pixels.
    public func landmarks(frame: UnsafeRawBufferPointer, width: Int, height: Int, pixelFormat: RawPixelFormat = .rgb24,
                          box: DetectedFace) -> [(x: Double, y: Double)]? {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self),
              frame.count >= pixelFormat.frameBytes(width: width, height: height) else { return nil }
        var points = [cfl_point](repeating: cfl_point(), count: Int(CFL_LANDMARK_COUNT))
        let face = cfl_face(x: Int32(box.x), y: Int32(box.y), width: Int32(box.width), height: Int32(box.height), score: box.score)
        lock.lock(); defer { lock.unlock() }
        let status = switch pixelFormat {
        case .rgb24: cfl_landmarks(handle, base, Int32(width), Int32(height), Int32(width * 3), face, &points)
        case .yuv420p: cfl_landmarks_grey(handle, base, Int32(width), Int32(height), Int32(width), face, &points)
        }
        guard status == 0 else { return nil }
        return points.map { (Double($0.x), Double($0.y)) }
    }

    /// Landmarks in a packed RGB24 frame (see `landmarks(frame:...)`).
    public func landmarks(rgb: UnsafeRawBufferPointer, width: Int, height: Int,
                          box: DetectedFace) -> [(x: Double, y: Double)]? {
        landmarks(frame: rgb, width: width, height: height, pixelFormat: .rgb24, box: box)
    }
}
