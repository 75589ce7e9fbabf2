import CFaceLandmarks
import Foundation
import KlipMedia

/// Face descriptors (dlib's ResNet, 128 numbers) of face images, local files or URLs, and
/// the distance that says "the same person". One recognizer per process, loaded on first
/// use; descriptors are kept per image for the life of the process.
actor FaceEmbedding {
    static let shared = FaceEmbedding()

    /// Euclidean distance at or under which two descriptors are taken as one person.
    /// dlib's model is trained for 0.6 (99.38% on LFW). Measured here by scripts/bench-match
    /// on 7 people (the two shared photos, and dlib's example "johns", 5 people x 11 photos,
    /// from the Debian package libdlib19.1): one person's different photos 0.00-0.56 apart
    /// (275 pairs), different people 0.67-1.11 (1,321 pairs, none under 0.6); one photo's crop
    /// scaled to 64-700 px, JPEG quality 2-31, brightness +-0.3, mirrored, rotated 8 degrees
    /// or cropped tighter or off centre stays within 0.49 of itself. Only a 96 px crop at
    /// JPEG's worst quality (q31) strays past 0.6 (up to 0.77, 2 of 7 people).
    static let threshold = 0.6

    static let landmarksModel = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

    private var recognizer: OpaquePointer?
    private var cache: [String: [Float]] = [:]

    /// The descriptor of the face in `image` (a path, file:// URL or http(s) URL).
    func descriptor(of image: String) async throws -> [Float] {
        if let known = cache[image] { return known }
        let (pixels, width, height) = try await Self.decode(image)
        let r = try await loaded()
        var out = [Float](repeating: 0, count: Int(CFL_DESCRIPTOR_SIZE))
        let status = pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                cfl_face_descriptor(r, p.baseAddress, Int32(width), Int32(height), Int32(width * 3), o.baseAddress)
            }
        }
        guard status >= 0 else { throw ScriptError(kind: .validation, message: "\(image): no face descriptor could be computed", field: "reference") }
        cache[image] = out
        return out
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var sum: Double = 0
        for (x, y) in zip(a, b) { sum += Double(x - y) * Double(x - y) }
        return sum.squareRoot()
    }

    private func loaded() async throws -> OpaquePointer {
        if let recognizer { return recognizer }
        let resnet = try await Self.locateModel()
        var message = [CChar](repeating: 0, count: 512)
        guard let r = cfl_recognizer_create(Self.landmarksModel, resnet, &message, message.count) else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ScriptError(kind: .validation, message: "cannot load the face models (\(resnet)): \(text)", field: "reference")
        }
        if let recognizer { cfl_recognizer_destroy(r); return recognizer } // another caller won while we loaded
        recognizer = r
        return r
    }

    /// `KLIP_FACE_MODEL`, or the file of the PyPI package face-recognition-models.
    static func locateModel() async throws -> String {
        if let path = ProcessInfo.processInfo.environment["KLIP_FACE_MODEL"], !path.isEmpty { return path }
        let code = "import face_recognition_models as m; print(m.face_recognition_model_location())"
        let output = try? await ProcessRunner.run("python3", ["-c", code])
        if let output, output.status == 0 {
            let path = String(decoding: output.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw ScriptError(kind: .validation,
                          message: "dlib_face_recognition_resnet_model_v1.dat not found: install the PyPI package face-recognition-models (scripts/setup) or set KLIP_FACE_MODEL",
                          field: "reference")
    }

    /// The first frame of an image as RGB24.
    static func decode(_ image: String) async throws -> ([UInt8], Int, Int) {
        let source = image.hasPrefix("file://") ? (URL(string: image)?.path ?? image) : image
        let info: MediaInfo
        do { info = try await MediaProbe.probe(source) } catch {
            throw ScriptError(kind: .validation, message: "\(image): not readable as an image (\(error))", field: "reference")
        }
        guard let v = info.video, v.width > 0, v.height > 0 else {
            throw ScriptError(kind: .validation, message: "\(image): not an image", field: "reference")
        }
        let output = try await ProcessRunner.run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-i", source,
                                                            "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        guard output.status == 0, output.stdout.count == v.width * v.height * 3 else {
            throw ScriptError(kind: .validation, message: "\(image): cannot be decoded (\(output.stderr.suffix(300)))", field: "reference")
        }
        return ([UInt8](output.stdout), v.width, v.height)
    }
}
