import Foundation

/// Steadies a track's boxes. HOG finds a face at discrete pyramid scales (each ~1.2x the
/// last), so a still face's box jumps between sizes from one search to the next as its
/// expression changes (a rendered mouth opening is enough): 176 to 208 px on a 200 px face.
/// The landmark fit starts from the box, so that jitter moves the landmarks, in the render's
/// stage and in `SyncMeter` alike. The size becomes its mean over a long window (a face's
/// real size changes slowly; a mean of two pyramid sizes lands between them), the centre
/// its median over a short one (steady motion stays exact). Windows narrow towards a
/// track's ends so they never reach past them: the ends stay where they were found.
struct BoxSmoothing: Sendable, Equatable {
    /// Half the windows, in ms: the centre's median, the size's mean.
    var centreMs: Int
    var sizeMs: Int

    func steadied(_ samples: [FaceSample]) -> [FaceSample] {
        guard samples.count > 2, let first = samples.first?.timeMs, let last = samples.last?.timeMs else { return samples }
        return samples.map { sample in
            func near(_ halfMs: Int) -> [FaceSample] {
                let half = min(halfMs, sample.timeMs - first, last - sample.timeMs)
                return samples.filter { abs($0.timeMs - sample.timeMs) <= half }
            }
            let centre = near(centreMs), size = near(sizeMs)
            let width = size.map(\.width).reduce(0, +) / size.count, height = size.map(\.height).reduce(0, +) / size.count
            let cx = Self.median(centre.map { 2 * $0.x + $0.width }), cy = Self.median(centre.map { 2 * $0.y + $0.height })
            return FaceSample(timeMs: sample.timeMs, x: (cx - width) / 2, y: (cy - height) / 2, width: width, height: height)
        }
    }

    private static func median(_ values: [Int]) -> Int {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
