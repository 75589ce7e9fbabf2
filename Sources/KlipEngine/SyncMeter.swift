import Foundation
import KlipMedia

/// One face's measured lip sync in a rendered video.
public struct SyncMeasurement: Sendable, Equatable, Codable {
    /// The face's index as identify numbers it ("0", "1", ...).
    public var faceID: String
    /// Pearson correlation of mouth opening with the inserted audio's loudness envelope,
    /// over the frames where the face is on screen and the inserted audio plays, both with
    /// their 1 s moving median removed (see `SyncMeter.detrended`), with a landmark noise
    /// floor of 1 px (see `SyncMeter.pearson`).
    public var r: Double
    /// PSNR (dB, all planes) of the frames outside the inserted range against the input;
    /// nil without an input. 100 means identical.
    public var psnrOutside: Double?
    /// Frames the correlation used.
    public var frames: Int

    enum CodingKeys: String, CodingKey {
        case faceID = "face_id", r, psnrOutside = "psnr_outside", frames
    }
}

/// Measures what a render did: re-detects the faces and their landmarks in the video and
/// correlates each face's mouth opening (inner-lip distance over nose-bridge-to-chin
/// length) with the loudness envelope the renderer used.
public struct SyncMeter: Sendable {
    public let identifier: FaceIdentifier

    public init(identifier: FaceIdentifier = FaceIdentifier()) {
        self.identifier = identifier
    }

    /// - Parameters:
    ///   - soundEndMs: nil for the end of the audio.
    ///   - inputPath: the video before rendering, for the PSNR outside the inserted range.
    ///   - tracks: the faces to measure (e.g. identify's tracks of the input, so a face keeps
    ///     its index); nil re-identifies them in `videoPath`. Landmarks are always re-detected.
    public func measure(videoPath: String, audioPath: String, insertMs: Int, soundStartMs: Int = 0, soundEndMs: Int? = nil,
                        volume: Double = 1, inputPath: String? = nil, tracks known: [FaceTrack]? = nil) async throws -> [SyncMeasurement] {
        let video = try await DisplayedVideo.probe(videoPath)
        var endMs = soundEndMs
        if endMs == nil {
            do { endMs = try await MediaProbe.probe(audioPath).durationMs } catch { throw EngineError.from(error) }
        }
        let envelope = try await LoudnessEnvelope.compute(audioPath: audioPath, soundStartMs: soundStartMs, soundEndMs: endMs ?? 0,
                                                          insertMs: insertMs, volume: volume, fps: video.fps,
                                                          durationMs: video.durationMs)
        let tracks = if let known { known } else { try await identify(videoPath) }
        let detector = try await SharedLandmarkModel.detector()
        let fps = video.fps, width = video.width, height = video.height
        let reader: FrameReader
        var inputReader: FrameReader?
        do {
            reader = try FrameReader(path: videoPath, width: width, height: height, pixelFormat: .yuv420p, constantRate: fps)
            if let inputPath {
                inputReader = try FrameReader(path: inputPath, width: width, height: height, pixelFormat: .yuv420p, constantRate: fps)
            }
        } catch { throw EngineError.from(error) }
        let other = inputReader
        let result = try await withTaskCancellationHandler {
            try await DedicatedThread.run(name: "klip-measure") {
                try Self.scan(reader: reader, input: other, detector: detector, tracks: tracks, envelope: envelope, fps: fps)
            }
        } onCancel: {
            reader.cancel()
            other?.cancel()
        }
        return tracks.map { track in
            let series = result.openings[track.index] ?? []
            let window = max(3, Int(fps.rounded()))
            // Landmarks on a still mouth wobble by a fraction of a pixel with the encoder's
            // noise (which a render elsewhere in the frame changes): variation at that level
            // counts as noise, not as the mouth following the sound.
            let faceLength = series.isEmpty ? 1 : series.map(\.faceLength).reduce(0, +) / Double(series.count)
            let r = Self.pearson(Self.detrended(series.map(\.opening), window: window),
                                 Self.detrended(series.map(\.level), window: window),
                                 noiseFloorX: Self.landmarkNoisePx / max(1, faceLength))
            return SyncMeasurement(faceID: String(track.index), r: r,
                                   psnrOutside: result.psnr, frames: series.count)
        }
    }

    private func identify(_ videoPath: String) async throws -> [FaceTrack] {
        let crops = FileManager.default.temporaryDirectory.appendingPathComponent("klip-measure-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: crops, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: crops) }
        do { return try await identifier.identify(videoPath: videoPath, cropsDirectory: crops) } catch EngineError.noFace { return [] }
    }

    struct Scan {
        var openings: [Int: [(opening: Double, level: Double, faceLength: Double)]] = [:]
        var psnr: Double?
    }

    private static func scan(reader: FrameReader, input: FrameReader?, detector: FaceDetector, tracks: [FaceTrack],
                             envelope: LoudnessEnvelope, fps: Double) throws -> Scan {
        var scan = Scan()
        var frame: [UInt8] = [], original: [UInt8] = []
        var squaredError = 0.0, compared = 0.0
        var index = 0
        while try reader.read(into: &frame) {
            let timeMs = Int((Double(index) * 1000 / fps).rounded())
            if let input, !envelope.insertedFrames.contains(index), try input.read(into: &original) {
                squaredError += frame.withUnsafeBufferPointer { a in
                    original.withUnsafeBufferPointer { b in
                        var sum = 0
                        for i in 0..<min(a.count, b.count) { let d = Int(a[i]) - Int(b[i]); sum += d * d }
                        return Double(sum)
                    }
                }
                compared += Double(frame.count)
            } else if let input {
                _ = try input.read(into: &original)
            }
            // Only where the inserted audio plays: outside it the envelope is a flat zero, and
            // any slow drift of a still face's measured mouth would correlate with that step.
            for track in tracks where timeMs >= track.startMs && timeMs < track.endMs && envelope.insertedFrames.contains(index) {
                guard let sample = track.interpolatedBox(atMs: timeMs, maxGapMs: 250) else { continue }
                let points = frame.withUnsafeBytes {
                    detector.landmarks(frame: $0, width: reader.width, height: reader.height, pixelFormat: .yuv420p,
                                       box: DetectedFace(sample))
                }
                guard let points else { continue }
                let length = hypot(points[8].x - points[27].x, points[8].y - points[27].y)
                scan.openings[track.index, default: []].append((mouthOpening(points), envelope[index], length))
            }
            index += 1
        }
        try reader.close()
        if let input {
            while try input.read(into: &original) {}
            try input.close()
        }
        if compared > 0 {
            let mse = squaredError / compared
            scan.psnr = mse == 0 ? 100 : min(100, 10 * log10(255 * 255 / mse))
        }
        return scan
    }

    /// Inner-lip distance (mean of the three upper/lower pairs) over the nose-bridge-to-chin length.
    static func mouthOpening(_ p: [(x: Double, y: Double)]) -> Double {
        func dist(_ a: Int, _ b: Int) -> Double { hypot(p[a].x - p[b].x, p[a].y - p[b].y) }
        let face = max(1, dist(27, 8))
        return (dist(61, 67) + dist(62, 66) + dist(63, 65)) / 3 / face
    }

    /// `x` minus its centred moving median over `window` samples. A still face's measured
    /// mouth steps by a fraction of a pixel at keyframes (the encoder's noise changes there);
    /// against speech, whose loudness also drifts over seconds, such steps alone correlate
    /// by chance. A median removes steps whole; syllables (2-8 Hz) pass.
    static func detrended(_ x: [Double], window: Int) -> [Double] {
        guard x.count > 2 else { return x }
        return x.indices.map { i in
            let lo = max(0, i - window / 2), hi = min(x.count, i + window / 2 + 1)
            let sorted = x[lo..<hi].sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return x[i] - median
        }
    }

    /// Typical scatter of the re-detected inner-lip distance on an unchanged mouth, in
    /// pixels: on Grace Hopper's closed mouth in a render of two-faces.mp4 it jumps between
    /// 0 and 3 px from frame to frame (the encoder's noise moves the landmarks). A rendered
    /// opening varies by ~8 px at 720p, so the floor barely touches a real animation.
    static let landmarkNoisePx = 1.0

    /// Pearson's r, with `noiseFloorX` (a standard deviation) added to x's variance so a
    /// series that only varies at the noise level cannot score high by chance.
    static func pearson(_ x: [Double], _ y: [Double], noiseFloorX: Double = 0) -> Double {
        let n = Double(min(x.count, y.count))
        guard n > 2 else { return 0 }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<Int(n) {
            sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my)
        }
        sxx += noiseFloorX * noiseFloorX * n
        guard sxx > 0, syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }
}
