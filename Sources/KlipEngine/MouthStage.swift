import CFaceLandmarks
import Foundation
import KlipMedia

/// The mouth animation: a frame stage that opens the chosen face's jaw and lower lip in
/// time with the inserted audio's loudness. Classical (landmarks + a triangle-mesh warp),
/// not a neural renderer. Frames outside the inserted range, off the face's interval or
/// too quiet to show leave the stage bit-identical.
public struct MouthStage: FrameStage, Sendable {
    public let face: FaceTrack
    public let envelope: LoudnessEnvelope
    public let fps: Double
    /// Opening at full loudness, as a share of the nose-bridge-to-chin length.
    public var openingShare = 0.14
    let detector: FaceDetector
    /// The last frame's landmarks, to re-acquire the face when the track has no box nearby.
    private var lastBox: DetectedFace?
    /// Where the last processed frame's mouth interior was drawn (nil: none drawn), and the
    /// face box it was drawn for: what a check of "the mouth stays inside the face" reads.
    public private(set) var lastMouth: (mouth: FaceSample, face: FaceSample)?

    public var pixelFormat: RawPixelFormat { .yuv420p }

    public init(face: FaceTrack, envelope: LoudnessEnvelope, fps: Double, detector: FaceDetector) {
        self.face = face; self.envelope = envelope; self.fps = fps; self.detector = detector
    }

    /// A stage for `request` (which must name a face): the envelope of its audio on the
    /// video's timeline and the shared landmark model.
    public static func make(for request: RenderRequest, face: FaceTrack) async throws -> MouthStage {
        let video = try await DisplayedVideo.probe(request.videoPath)
        async let envelope = LoudnessEnvelope.compute(audioPath: request.audioPath, soundStartMs: request.soundStartMs,
                                                      soundEndMs: request.soundEndMs, insertMs: request.insertMs,
                                                      volume: request.soundVolume, fps: video.fps, durationMs: video.durationMs)
        let detector = try await SharedLandmarkModel.detector()
        return MouthStage(face: face, envelope: try await envelope, fps: video.fps, detector: detector)
    }

    public mutating func process(_ frame: inout VideoFrame) throws {
        lastMouth = nil
        let level = envelope[frame.index]
        guard level > 0.005, frame.pixelFormat == .yuv420p else { return }
        let timeMs = frame.timeMs
        guard timeMs >= face.startMs, timeMs < face.endMs else { return }
        let width = frame.width, height = frame.height
        guard let box = face.interpolatedBox(atMs: timeMs, maxGapMs: 250).map({ DetectedFace($0) }) ?? reacquire(frame)
        else { return }
        guard let points = detector.landmarks(frame: UnsafeRawBufferPointer(frame.pixels), width: width, height: height,
                                              pixelFormat: .yuv420p, box: box) else { return }
        lastBox = box
        let length = hypot(points[8].x - points[27].x, points[8].y - points[27].y)
        let opening = level * openingShare * length
        let landmarks = points.map { cfl_point(x: Float($0.x), y: Float($0.y)) }
        guard let base = frame.pixels.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var mouth = cfl_face()
        _ = cfl_mouth_open_yuv420p(base, Int32(width), Int32(height), landmarks, opening, &mouth)
        if mouth.width > 0 {
            lastMouth = (FaceSample(timeMs: timeMs, x: Int(mouth.x), y: Int(mouth.y), width: Int(mouth.width), height: Int(mouth.height)),
                         FaceSample(timeMs: timeMs, x: box.x, y: box.y, width: box.width, height: box.height))
        }
    }

    /// Where the track has no box near this frame: the detected face overlapping the last
    /// box used, searched for around it (at a scale that finds it down to 64 px).
    private func reacquire(_ frame: VideoFrame) -> DetectedFace? {
        guard let last = lastBox else { return nil }
        let margin = max(last.width, last.height) * 6 / 10
        let region = FaceSample(timeMs: 0, x: last.x - margin, y: last.y - margin,
                                width: last.width + 2 * margin, height: last.height + 2 * margin)
        let faces = detector.detect(yuv420p: UnsafeRawBufferPointer(frame.pixels), width: frame.width, height: frame.height,
                                    region: region, scale: min(1.5, 90 / Double(max(1, last.height))),
                                    threshold: FaceTrackingOptions.default.threshold)
        return faces.max { overlap($0, last) < overlap($1, last) }.flatMap { overlap($0, last) > 0.3 ? $0 : nil }
    }

    private func overlap(_ a: DetectedFace, _ b: DetectedFace) -> Double {
        let w = max(0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
        let h = max(0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
        let union = a.width * a.height + b.width * b.height - w * h
        return union > 0 ? Double(w * h) / Double(union) : 0
    }
}

extension FaceTrack {
    /// The box at `timeMs`, interpolated between the samples around it (a drifting face
    /// moves between samples ~120 ms apart). nil where the face is not on screen: before
    /// the first or after the last sample, or inside a gap between two samples more than
    /// `maxGapMs` apart (a track may bridge a short absence; identify refines its edges
    /// to the exact frame, so a sample sits on the last frame before and the first after).
    public func interpolatedBox(atMs timeMs: Int, maxGapMs: Int) -> FaceSample? {
        let tolerance = 20  // frame times are whole ms: half a frame at 25 fps
        guard let first = samples.first, let last = samples.last,
              timeMs >= first.timeMs - tolerance, timeMs <= last.timeMs + tolerance else { return nil }
        guard let after = samples.firstIndex(where: { $0.timeMs >= timeMs }) else { return last }
        let b = samples[after]
        if abs(b.timeMs - timeMs) <= tolerance || after == 0 { return b }
        let a = samples[after - 1]
        if abs(a.timeMs - timeMs) <= tolerance { return a }
        guard b.timeMs - a.timeMs <= maxGapMs else { return nil }
        let t = Double(timeMs - a.timeMs) / Double(b.timeMs - a.timeMs)
        func mix(_ p: Int, _ q: Int) -> Int { Int((Double(p) + Double(q - p) * t).rounded()) }
        return FaceSample(timeMs: timeMs, x: mix(a.x, b.x), y: mix(a.y, b.y), width: mix(a.width, b.width), height: mix(a.height, b.height))
    }
}

/// One landmark model per process for the renderer and the meter (loading takes ~1 s).
/// FaceDetector serialises its calls, so sharing it is safe.
enum SharedLandmarkModel {
    static let path = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
    private static let loaded: Result<FaceDetector, EngineError> = {
        do { return .success(try FaceDetector(modelPath: path)) } catch let error as EngineError { return .failure(error) } catch {
            return .failure(.media("\(path): \(error)"))
        }
    }()

    static func detector() async throws -> FaceDetector {
        try await DedicatedThread.run(name: "klip-model") { try loaded.get() }
    }
}
