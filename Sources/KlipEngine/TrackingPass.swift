import Foundation

/// identify's one pass over a video's frames, a frame at a time (see FaceIdentifier.track):
/// every `step`-th frame is searched around every face being tracked, and the whole frame at
/// full size every `fineEvery` searched frames. The frames since the last fine search are
/// kept: a new face is followed back through them to the frame it appeared in, and a face
/// gone is followed forward through the frames since the last search to the frame it left.
struct TrackingPass {
    typealias Kept = (frame: Int, pixels: [UInt8])

    let search: FaceSearch
    let options: FaceTrackingOptions
    let fps: Double
    let width: Int, height: Int
    let step: Int
    let fineEvery: Int
    private var tracker: FaceTracker
    private var best: [Int: (score: Double, crop: FaceIdentifier.Crop)] = [:]
    private var history: [Kept] = []  // since the last fine search, oldest first
    private var spare: [[UInt8]] = []
    private var seenLast: Set<Int> = []  // tracks seen in the previous searched frame
    private var lastSearched = -1
    private var frame = -1

    init(detector: FaceDetector, width: Int, height: Int, fps: Double, options: FaceTrackingOptions) {
        self.search = FaceSearch(detector: detector, width: width, height: height, options: options)
        self.options = options; self.fps = fps; self.width = width; self.height = height
        step = max(1, Int((fps / options.detectionsPerSecond).rounded()))
        fineEvery = max(1, Int((options.fineSearchInterval(width: width, height: height) * fps / Double(step)).rounded(.down)))
        tracker = FaceTracker(options: options, frameMs: Int((1000 / fps).rounded()))
    }

    /// Takes the next decoded frame; `pixels` comes back as a buffer to decode into.
    mutating func take(_ pixels: inout [UInt8]) {
        frame += 1
        if frame % step == 0 { searched(pixels) }
        history.append((frame, pixels))
        pixels = spare.popLast() ?? []
    }

    /// The tracks (and each one's best crop) once every frame is taken.
    mutating func finish(durationMs: Int) -> (tracks: [FaceTrack], crops: [FaceIdentifier.Crop]) {
        // Frames after the last searched one.
        let between = history.filter { $0.frame > lastSearched }
        for id in seenLast {
            if let last = tracker.activeTrack(id)?.samples.last { follow(id, from: last, through: between) }
        }
        let (tracks, ids) = tracker.finish(durationMs: durationMs)
        return (tracks, ids.map { best[$0]!.crop })
    }

    private func time(_ frame: Int) -> Int { Int((Double(frame) * 1000 / fps).rounded()) }

    private func sample(_ face: DetectedFace, _ frame: Int) -> FaceSample {
        FaceSample(timeMs: time(frame), x: face.x, y: face.y, width: face.width, height: face.height)
    }

    /// A searched frame: the search, new faces followed back, faces gone followed forward.
    private mutating func searched(_ pixels: [UInt8]) {
        let fine = (frame / step) % fineEvery == 0
        // Every other full-size search starts half a HOG cell in (see FaceSearch.whole).
        let shifted = fine && (frame / step / fineEvery) % 2 == 1
        var faces = fine || options.coarseSearch ? search.whole(pixels, fine: fine, shifted: shifted) : []
        let tracked = tracker.active.compactMap(\.samples.last)
        if shifted {
            // The shifted search is also enlarged (FaceTrackingOptions.shiftedFineBoost) to find
            // new small faces; a face already tracked keeps the boxes of the search around it,
            // not a box of another scale every other fine search (that jitter moved the mouth
            // measure of still faces by up to 0.2 of correlation).
            faces.removeAll { face in tracked.contains { FaceTracker.iou(face, $0) >= options.minIoU } }
        }
        for last in tracked { faces += search.around(last, in: pixels) }
        faces = FaceSearch.merge(faces, minIoU: options.minIoU)
        let ids = tracker.add(timeMs: time(frame), faces: faces)
        for (face, id) in zip(faces, ids) {
            if tracker.activeTrack(id)?.samples.count == 1 {
                follow(id, from: sample(face, frame), through: history.reversed())
            }
            if face.score > (best[id]?.score ?? -.infinity) {
                best[id] = (face.score, FaceIdentifier.crop(pixels, width: width, height: height, around: face))
            }
        }
        seenLast = followGone(seen: Set(ids))
        lastSearched = frame
        if fine {
            spare += history.map(\.pixels)
            history.removeAll(keepingCapacity: true)
        }
    }

    /// Follows the faces seen in the previous searched frame but not in this one through the
    /// frames in between; returns `seen` plus those still there just before this frame.
    private mutating func followGone(seen: Set<Int>) -> Set<Int> {
        var seen = seen
        let between = history.filter { $0.frame > lastSearched }
        for id in seenLast.subtracting(seen) {
            guard let last = tracker.activeTrack(id)?.samples.last else { continue }
            follow(id, from: last, through: between)
            // Still there in the frame just before this one: a detector miss here, not the
            // end; keep following it after the next searched frame too.
            if let lastKept = between.last, tracker.activeTrack(id)?.lastMs == time(lastKept.frame) { seen.insert(id) }
        }
        return seen
    }

    /// Follows a face frame by frame while it is found near where it was; one frame's miss
    /// (a blink of the detector) does not end it.
    private mutating func follow<Frames: Sequence>(_ id: Int, from box: FaceSample, through frames: Frames)
        where Frames.Element == Kept {
        var box = box, misses = 0
        for (index, kept) in frames {
            guard let hit = search.follow(box, in: kept) else {
                misses += 1
                if misses > 1 { return }
                continue
            }
            misses = 0
            box = sample(hit, index)
            tracker.insert(box, into: id, searched: index % step == 0)
        }
    }
}
