import Foundation
import KlipMedia

/// The searches identify makes in a yuv420p frame, chosen by measurement on the make-faces
/// corpus (DEVELOPERS.md, "Face detection"): HOG over the whole frame at full size (a 64 px
/// face fills its ~73 px window; 2.7 G instructions at 1080p, 1.2 G at 720p, so only every
/// 0.5-1 s), around a face already found at the scale that makes it ~90 px (a few percent
/// of that, every searched frame), and optionally over the whole frame shrunk (big faces
/// only; off by default).
struct FaceSearch {
    let detector: FaceDetector
    let width: Int, height: Int
    let options: FaceTrackingOptions

    var coarseScale: Double { options.detectionScale(width: width, height: height) }

    /// Faces in the whole frame; `fine` searches it at `options.fineScale`. `shifted` starts
    /// the search half a HOG cell (4 searched pixels) in from the top left corner: a face near
    /// the detector's smallest size scores by where the 8 px cells fall on it (an 80 px face
    /// rolled 15 degrees at 1080p: 0.15 from the frame's own origin, under the 0.3 threshold;
    /// 0.88 from (4, 4), 0.60-0.66 from (2, 2), (6, 6) or (4, 0)), so alternating the two gives
    /// such a face both chances at the same cost.
    func whole(_ pixels: [UInt8], fine: Bool, shifted: Bool = false) -> [DetectedFace] {
        let base = fine ? max(options.fineScale, coarseScale) : coarseScale
        let scale = fine && shifted ? base * options.shiftedFineBoost : base
        let shift = shifted ? max(1, Int((4 / scale).rounded())) : 0
        return pixels.withUnsafeBytes {
            guard shift > 0, width > 2 * shift, height > 2 * shift else {
                return detector.detect(frame: $0, width: width, height: height, pixelFormat: .yuv420p, scale: scale,
                                       threshold: options.threshold)
            }
            let region = FaceSample(timeMs: 0, x: shift, y: shift, width: width - shift, height: height - shift)
            return detector.detect(yuv420p: $0, width: width, height: height, region: region, scale: scale,
                                   threshold: options.threshold, maxFaces: 32)
        }
    }

    /// Faces near `box`: the box grown by 60% of its size on every side (what a face moves
    /// in a few frames), enlarged or shrunk so a face of the box's size is ~90 px. When none
    /// of them is the face in `box` (overlaps it by the tracker's IoU), the region is searched
    /// once more half a HOG cell (4 searched px) further in: near the detector's smallest size
    /// a face scores by where the 8 px cells fall on it, as in `whole`, and a region's origin
    /// and scale fall wherever the last box puts them (an 80 px face rolled 15 degrees at
    /// 1080p, followed from an 88 px box: 0.80, 0.79, 0.66, 0.63, 0.39 as the box shrank to
    /// 79 px, then nothing over the threshold; 0.70 half a cell in). Only misses pay.
    func around(_ box: FaceSample, in pixels: [UInt8]) -> [DetectedFace] {
        let found = around(box, in: pixels, shifted: false)
        if found.contains(where: { FaceTracker.iou($0, box) >= options.minIoU }) { return found }
        return found + around(box, in: pixels, shifted: true)
    }

    private func around(_ box: FaceSample, in pixels: [UInt8], shifted: Bool) -> [DetectedFace] {
        let size = max(box.width, box.height), margin = size * 6 / 10
        let scale = min(1.5, 90 / Double(max(1, size)))
        let shift = shifted ? max(1, Int((4 / scale).rounded())) : 0
        let x0 = max(0, box.x - margin + shift), y0 = max(0, box.y - margin + shift)
        let x1 = min(width, box.x + box.width + margin + shift), y1 = min(height, box.y + box.height + margin + shift)
        guard x1 > x0, y1 > y0 else { return [] }
        let region = FaceSample(timeMs: box.timeMs, x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        return pixels.withUnsafeBytes {
            detector.detect(yuv420p: $0, width: width, height: height, region: region, scale: scale, threshold: options.threshold)
        }
    }

    /// The detection near `box` that overlaps it most, if any overlaps enough to be it.
    func follow(_ box: FaceSample, in pixels: [UInt8]) -> DetectedFace? {
        around(box, in: pixels)
            .map { (face: $0, iou: FaceTracker.iou($0, box)) }
            .filter { $0.iou >= options.minIoU }
            .max { $0.iou < $1.iou }?.face
    }

    /// One box per face: of detections overlapping by the tracker's IoU, the best scored.
    static func merge(_ faces: [DetectedFace], minIoU: Double) -> [DetectedFace] {
        var kept: [DetectedFace] = []
        for face in faces.sorted(by: { $0.score > $1.score }) {
            let sample = FaceSample(timeMs: 0, x: face.x, y: face.y, width: face.width, height: face.height)
            if !kept.contains(where: { FaceTracker.iou($0, sample) >= minIoU }) { kept.append(face) }
        }
        return kept
    }
}
