import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

/// One lip-sync render of a corpus clip for one chosen face, checked three ways: the sync
/// `klip measure` reports (r of the chosen face, and of the others), where the stage drew
/// the mouth (its dark interior inside the chosen face's box), and whether it touched any
/// other face (bit-exact, on the stage's own frames before encoding).
struct SyncCheck: CustomStringConvertible {
    var clip: String
    var photo: String
    var facePx: Int
    /// The chosen face's r, and the largest |r| of the others.
    var r: Double
    var othersR: Double
    /// Frames the meter used for the chosen face.
    var frames: Int
    /// Over the inserted frames: the largest share of the drawn mouth interior's bounding
    /// box outside the chosen face's box, and how many frames drew a mouth at all.
    var outsideShare: Double
    var drawnFrames: Int
    /// Pixels the stage changed inside any other face's box (all frames together).
    var othersChanged: Int
    /// How the drawn mouth's height follows the loudness, on the stage's own frames.
    var drawnR: Double

    var mouthInside: Bool { drawnFrames > 0 && outsideShare <= 0.02 }
    var othersUntouched: Bool { othersChanged == 0 && othersR <= 0.2 }

    var description: String {
        "\(clip) \(photo)@\(facePx)px: r \(String(format: "%.3f", r)) over \(frames) frames, others |r| <= "
            + "\(String(format: "%.3f", othersR)), mouth outside the box \(String(format: "%.1f", outsideShare * 100))% "
            + "(drawn on \(drawnFrames) frames, height r \(String(format: "%.3f", drawnR))), other faces' pixels changed \(othersChanged)"
    }

    static let speech = Media.path("speech.wav")

    struct NotIdentified: Error, CustomStringConvertible { var description: String }

    /// What one check renders: the chosen truth face's track in the input, the others, and
    /// the speech inserted from the face's first frame on screen.
    struct Plan {
        var clip: String
        var want: FaceTruth.Face
        var tracks: [FaceTrack]
        var face: FaceTrack
        var request: RenderRequest
    }

    static func plan(clip: String, directory: URL, chosen: Int, identifier: FaceIdentifier, output: String) async throws -> Plan {
        let video = directory.appendingPathComponent("\(clip).mp4").path
        let truth = try FaceTruth.load(directory.appendingPathComponent("\(clip).json").path)
        let want = truth.faces[chosen]
        let tracks = try await FaceCorpus.identify(video, with: identifier)
        let hits = tracks.map { track in track.samples.filter { want.matches($0) }.count }
        guard let best = hits.indices.max(by: { hits[$0] < hits[$1] }), hits[best] > 0 else {
            throw NotIdentified(description: "\(want.photo)@\(want.size)px not identified")
        }
        let face = tracks[best]
        let audioMs = try await MediaProbe.probe(speech).durationMs
        let insertMs = max(want.start_ms, face.startMs)
        let soundMs = min(audioMs, min(want.end_ms, face.endMs) - insertMs)
        let request = RenderRequest(videoPath: video, audioPath: speech, soundStartMs: 0, soundEndMs: soundMs,
                                    insertMs: insertMs, face: face, outputPath: output)
        return Plan(clip: clip, want: want, tracks: tracks, face: face, request: request)
    }

    /// The mouth stage alone over the clip's frames (no encode): where it drew.
    static func stage(_ plan: Plan) async throws -> Drawn {
        let stage = try await MouthStage.make(for: plan.request, face: plan.face)
        return try await scanStage(video: plan.request.videoPath, stage: stage, others: plan.tracks.filter { $0.index != plan.face.index })
    }

    /// Renders `speech` over the chosen truth face of `clip` (from its first frame on screen)
    /// and measures the result.
    static func run(clip: String, directory: URL, chosen: Int, identifier: FaceIdentifier) async throws -> SyncCheck {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.mp4").path
        let plan = try await plan(clip: clip, directory: directory, chosen: chosen, identifier: identifier, output: out)
        let (want, request) = (plan.want, plan.request)
        let drawn = try await stage(plan)
        _ = try await LipSyncRenderer(mode: .full).render(request)
        if let keep = ProcessInfo.processInfo.environment["KLIP_KEEP_RENDERS"] {
            let kept = URL(fileURLWithPath: keep).appendingPathComponent("sync-\(clip)-\(chosen).mp4").path
            try? FileManager.default.removeItem(atPath: kept)
            try FileManager.default.copyItem(atPath: out, toPath: kept)
        }
        // As klip measure does: the faces re-identified in the render.
        let rendered = try await FaceCorpus.identify(out, with: identifier)
        let renderedHits = rendered.map { track in track.samples.filter { want.matches($0) }.count }
        let chosenIndex = renderedHits.indices.max { renderedHits[$0] < renderedHits[$1] }.map { rendered[$0].index }
        let measured = try await SyncMeter(identifier: identifier).measure(
            videoPath: out, audioPath: speech, insertMs: request.insertMs, soundStartMs: 0, soundEndMs: request.soundEndMs,
            tracks: rendered)
        let mine = measured.first { $0.faceID == chosenIndex.map(String.init) }
        let othersR = measured.filter { $0.faceID != mine?.faceID }.map { abs($0.r) }.max() ?? 0
        return SyncCheck(clip: clip, photo: want.photo, facePx: want.size, r: mine?.r ?? 0, othersR: othersR,
                         frames: mine?.frames ?? 0, outsideShare: drawn.outsideShare, drawnFrames: drawn.frames,
                         othersChanged: drawn.othersChanged, drawnR: drawn.r)
    }

    struct Drawn: Sendable {
        var outsideShare = 0.0
        var frames = 0
        var othersChanged = 0
        /// Per inserted frame: the envelope's level and the drawn mouth's height (0: none).
        var series: [(level: Double, height: Double)] = []
        /// How the drawn mouth's height follows the loudness (Pearson's r, no detrending).
        var r: Double { SyncMeter.pearson(series.map(\.height), series.map(\.level)) }
    }

    /// Runs the stage over every decoded frame and compares each with the original.
    static func scanStage(video: String, stage: MouthStage, others: [FaceTrack]) async throws -> Drawn {
        let facts = try await VideoValidator.check(videoPath: video)
        let (w, h) = (facts.width, facts.height)
        let reader = try FrameReader(path: video, width: w, height: h, pixelFormat: .yuv420p, constantRate: facts.fps)
        return try await DedicatedThread.run(name: "sync-check") {
            var stage = stage
            var buffer: [UInt8] = [], drawn = Drawn()
            var index = 0
            while try reader.read(into: &buffer) {
                let original = buffer
                let timeMs = Int((Double(index) * 1000 / facts.fps).rounded())
                try buffer.withUnsafeMutableBytes { pixels in
                    var frame = VideoFrame(index: index, timeMs: timeMs, width: w, height: h, pixelFormat: .yuv420p, pixels: pixels)
                    try stage.process(&frame)
                }
                // Where the face is on screen: off it, nothing is to be drawn.
                if stage.envelope.insertedFrames.contains(index), stage.face.interpolatedBox(atMs: timeMs, maxGapMs: 250) != nil {
                    drawn.series.append((stage.envelope[index], Double(stage.lastMouth?.mouth.height ?? 0)))
                }
                if let (mouth, face) = stage.lastMouth {
                    drawn.frames += 1
                    drawn.outsideShare = max(drawn.outsideShare, outsideShare(mouth, face))
                }
                if buffer != original {
                    let boxes = others.compactMap { $0.interpolatedBox(atMs: timeMs, maxGapMs: 250) }
                    compare(buffer, original, width: w, height: h, others: boxes, into: &drawn)
                }
                index += 1
            }
            try reader.close()
            return drawn
        }
    }

    /// Luma and chroma pixels changed inside other faces' boxes.
    private static func compare(_ a: [UInt8], _ b: [UInt8], width w: Int, height h: Int, others: [FaceSample],
                                into drawn: inout Drawn) {
        func inside(_ x: Int, _ y: Int, _ s: FaceSample) -> Bool { x >= s.x && x < s.x + s.width && y >= s.y && y < s.y + s.height }
        func same(_ offset: Int, _ count: Int) -> Bool {
            a.withUnsafeBufferPointer { p in b.withUnsafeBufferPointer { q in memcmp(p.baseAddress! + offset, q.baseAddress! + offset, count) == 0 } }
        }
        for y in 0..<h where !same(y * w, w) {
            for x in 0..<w where a[y * w + x] != b[y * w + x] && others.contains(where: { inside(x, y, $0) }) {
                drawn.othersChanged += 1
            }
        }
        let cw = (w + 1) / 2, ch = (h + 1) / 2
        for plane in 0..<2 {
            let base = w * h + plane * cw * ch
            for y in 0..<ch where !same(base + y * cw, cw) {
                for x in 0..<cw where a[base + y * cw + x] != b[base + y * cw + x] && others.contains(where: { inside(2 * x, 2 * y, $0) }) {
                    drawn.othersChanged += 1
                }
            }
        }
    }

    /// The share of the drawn mouth's bounding box that lies outside the face's box.
    static func outsideShare(_ mouth: FaceSample, _ face: FaceSample) -> Double {
        let w = max(0, min(mouth.x + mouth.width, face.x + face.width) - max(mouth.x, face.x))
        let h = max(0, min(mouth.y + mouth.height, face.y + face.height) - max(mouth.y, face.y))
        return 1 - Double(w * h) / Double(max(1, mouth.width * mouth.height))
    }
}
