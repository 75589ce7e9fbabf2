import Foundation

/// Tuning of face identification. The defaults follow the measurements in DEVELOPERS.md
/// ("Face detection"): scripts/bench faces over the make-faces corpus.
public struct FaceTrackingOptions: Sendable, Equatable {
    /// HOG score a detection needs; real faces score 0.5-1.6, false ones under 0.3.
    public var threshold: Double = 0.3
    /// Also search the whole frame shrunk to at most `detectionPixels` at every searched
    /// frame between fine searches. Off: measured with callgrind it costs as much as the fine
    /// searches (1080p: 0.43 G instructions a frame x 73 frames vs 2.7 G x 10 per 10 s) and
    /// found no face of the make-faces corpus the fine search missed; it only finds big faces
    /// a little sooner, which following a new face back makes up for.
    public var coarseSearch = false
    /// The shrunk search's size (640x360: 720p is halved, 1080p divided by 3).
    public var detectionPixels: Int = 640 * 360
    /// The smallest face (box height, px) identify must find at any resolution. The fine
    /// search runs on the frame at a scale where HOG's ~70 px window fits such a face.
    public var smallestFace: Int = 64
    /// Seconds between fine (full-resolution) searches up to 720p; larger frames stretch it
    /// with their area, up to 1 s (1080p: 1 s), which bounds the cost per second of video.
    /// A face on screen for 1 s meets at least one; found, it is followed back frame by
    /// frame to where it appeared.
    public var fineSearchSeconds: Double = 0.5

    /// Seconds between fine searches in frames of this size.
    public func fineSearchInterval(width: Int, height: Int) -> Double {
        min(1, max(fineSearchSeconds, fineSearchSeconds * Double(width * height) / (1280 * 720)))
    }

    /// The factor frames of this size are shrunk by for the cheap search.
    public func detectionScale(width: Int, height: Int) -> Double {
        min(1, (Double(detectionPixels) / Double(max(1, width * height))).squareRoot())
    }
    /// The factor the fine search resizes whole frames by: HOG finds faces whose box is
    /// ~73 px and up at the searched size, and a 64 px face at scale 1 scores 0.6-1.4.
    public var fineScale: Double { max(1, 64 / Double(smallestFace)) }
    /// The shifted fine search (every other one) also enlarges the frame by this much, so a
    /// face of 64-72 px, under HOG's ~73 px window, fills it there (a 66 px face rolled 11
    /// degrees at 720p scored at most 0.20 from any origin at scale 1; 0.62 at 1.25).
    public var shiftedFineBoost: Double = 1.25
    /// Frames searched for faces per second (at 25 fps: every 3rd frame). Where a face
    /// appears or disappears between two searched frames, the frames in between are
    /// searched too, so interval ends are frame-exact whatever this rate.
    public var detectionsPerSecond: Double = 8.33
    /// A face must be seen in at least this many sampled frames.
    public var minSamples: Int = 3
    /// The same person after a longer gap gets a new track (Kling: 1 s).
    public var maxGapMs: Int = 1000
    /// Box overlap that links a detection to a track.
    public var minIoU: Double = 0.3
    /// Half the windows that steady a track's boxes (see BoxSmoothing): the centre's and
    /// the size's. 0 keeps the boxes as detected.
    public var boxCentreSmoothingMs: Int = 400
    public var boxSizeSmoothingMs: Int = 1000

    public init() {}
    public static let `default` = FaceTrackingOptions()
}

/// Links per-frame detections into tracks by box overlap. Pure logic: no video here.
struct FaceTracker {
    struct Track {
        var id: Int
        var samples: [FaceSample] = []
        /// Searched frames (not refinement frames) that saw this face.
        var detections = 0
        var lastMs: Int { samples.last?.timeMs ?? 0 }
    }

    let options: FaceTrackingOptions
    /// Duration of one video frame: a face seen in a frame is there until the next one.
    let frameMs: Int
    private(set) var active: [Track] = []
    private(set) var finished: [Track] = []
    private var nextID = 0

    init(options: FaceTrackingOptions, frameMs: Int) {
        self.options = options
        self.frameMs = frameMs
    }

    /// The active track with this id, if any.
    func activeTrack(_ id: Int) -> Track? { active.first { $0.id == id } }

    /// Adds a refinement sample (from a frame between two searched frames, or a searched
    /// frame before the face was first found) to a track, before its first or after its last
    /// sample. `searched`: the frame is one of the searched ones, and counts as a detection.
    mutating func insert(_ sample: FaceSample, into id: Int, searched: Bool = false) {
        guard let t = active.firstIndex(where: { $0.id == id }) else { return }
        if let first = active[t].samples.first, sample.timeMs < first.timeMs {
            active[t].samples.insert(sample, at: 0)
        } else if sample.timeMs > active[t].lastMs {
            active[t].samples.append(sample)
        } else {
            return
        }
        if searched { active[t].detections += 1 }
    }

    /// Adds one sampled frame's detections; returns the track id each detection joined.
    mutating func add(timeMs: Int, faces: [DetectedFace]) -> [Int] {
        // A track not seen for longer than the allowed gap can no longer continue.
        var keep: [Track] = []
        for track in active {
            if timeMs - (track.lastMs + frameMs) > options.maxGapMs { finished.append(track) } else { keep.append(track) }
        }
        active = keep

        var pairs: [(iou: Double, face: Int, track: Int)] = []
        for (f, face) in faces.enumerated() {
            for (t, track) in active.enumerated() {
                guard let last = track.samples.last else { continue }
                let overlap = Self.iou(face, last)
                if overlap >= options.minIoU { pairs.append((overlap, f, t)) }
            }
        }
        pairs.sort { $0.iou > $1.iou }
        var faceTrack = [Int?](repeating: nil, count: faces.count)
        var usedTracks = Set<Int>()
        for pair in pairs where faceTrack[pair.face] == nil && !usedTracks.contains(pair.track) {
            faceTrack[pair.face] = pair.track
            usedTracks.insert(pair.track)
        }
        var ids: [Int] = []
        for (f, face) in faces.enumerated() {
            let t: Int
            if let matched = faceTrack[f] {
                t = matched
            } else {
                active.append(Track(id: nextID))
                nextID += 1
                t = active.count - 1
            }
            active[t].samples.append(FaceSample(timeMs: timeMs, x: face.x, y: face.y, width: face.width, height: face.height))
            active[t].detections += 1
            ids.append(active[t].id)
        }
        return ids
    }

    /// Ends tracking: tracks seen often enough, indexed in order of first appearance
    /// (left to right on ties). `ids[i]` is the internal id of `tracks[i]`.
    mutating func finish(durationMs: Int) -> (tracks: [FaceTrack], ids: [Int]) {
        finished.append(contentsOf: active)
        active = []
        let kept = finished
            .filter { $0.detections >= options.minSamples }
            .sorted { ($0.samples[0].timeMs, $0.samples[0].x) < ($1.samples[0].timeMs, $1.samples[0].x) }
        var tracks: [FaceTrack] = []
        for (index, track) in kept.enumerated() {
            // Seen in its last frame: there until that frame ends.
            let end = min(durationMs, track.lastMs + frameMs)
            tracks.append(FaceTrack(index: index, startMs: track.samples[0].timeMs, endMs: max(end, track.samples[0].timeMs),
                                    samples: BoxSmoothing(centreMs: options.boxCentreSmoothingMs, sizeMs: options.boxSizeSmoothingMs).steadied(track.samples)))
        }
        return (tracks, kept.map(\.id))
    }

    static func iou(_ a: DetectedFace, _ b: FaceSample) -> Double {
        let x0 = max(a.x, b.x), y0 = max(a.y, b.y)
        let x1 = min(a.x + a.width, b.x + b.width), y1 = min(a.y + a.height, b.y + b.height)
        let inter = Double(max(0, x1 - x0) * max(0, y1 - y0))
        let union = Double(a.width * a.height + b.width * b.height) - inter
        return union > 0 ? inter / union : 0
    }
}
