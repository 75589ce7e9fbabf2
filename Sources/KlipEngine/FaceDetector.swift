import CFaceLandmarks
import Foundation

/// A face found by the detector, in source pixels.
public struct DetectedFace: Sendable, Equatable {
    public var x, y, width, height: Int
    public var score: Double
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

    /// Faces in a packed RGB24 frame, strongest first. The frame is shrunk by `scale` for
    /// the search; boxes are in the frame's own pixels.
    public func detect(rgb: UnsafeRawBufferPointer, width: Int, height: Int, scale: Double,
                       threshold: Double, maxFaces: Int = 32) -> [DetectedFace] {
        guard let base = rgb.baseAddress?.assumingMemoryBound(to: UInt8.self), rgb.count >= width * height * 3 else { return [] }
        var out = [cfl_face](repeating: cfl_face(), count: maxFaces)
        lock.lock(); defer { lock.unlock() }
        let n = cfl_detect(handle, base, Int32(width), Int32(height), Int32(width * 3), scale, threshold, &out, Int32(maxFaces))
        guard n > 0 else { return [] }
        return out.prefix(min(Int(n), maxFaces)).map {
            DetectedFace(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height), score: $0.score)
        }
    }

    /// The 68 landmarks (iBUG 300-W order) of the face in `box`, in frame pixels.
    public func landmarks(rgb: UnsafeRawBufferPointer, width: Int, height: Int,
                          box: DetectedFace) -> [(x: Double, y: Double)]? {
        guard let base = rgb.baseAddress?.assumingMemoryBound(to: UInt8.self), rgb.count >= width * height * 3 else { return nil }
        var points = [cfl_point](repeating: cfl_point(), count: Int(CFL_LANDMARK_COUNT))
        let face = cfl_face(x: Int32(box.x), y: Int32(box.y), width: Int32(box.width), height: Int32(box.height), score: box.score)
        lock.lock(); defer { lock.unlock() }
        guard cfl_landmarks(handle, base, Int32(width), Int32(height), Int32(width * 3), face, &points) == 0 else { return nil }
        return points.map { (Double($0.x), Double($0.y)) }
    }
}
