import Foundation

/// Steadies a track's boxes. HOG finds a face at discrete pyramid scales (each ~1.2x the
/// last), so a still face's box jumps between sizes from one search to the next as its
/// expression changes (a rendered mouth opening is enough): 176 to 208 px on a 200 px face.
/// The landmark fit starts from the box, so that jitter moves the landmarks, in the render's
/// stage and in `SyncMeter` alike. Each box becomes the value at its time of a straight line
/// fitted to the samples around it: the size over a long window (a face's real size changes
/// slowly; the fit lands between two pyramid sizes), the centre over a short one. A line,
/// not a median or a mean: samples are denser near a track's ends (frame by frame there,
/// every 3rd frame elsewhere), which would pull a moving face's centre back in time. Windows
/// narrow towards a track's ends so they never reach past them.
struct BoxSmoothing: Sendable, Equatable {
    /// Half the windows, in ms: the centre's, the size's.
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
            func fit(_ window: [FaceSample], _ value: (FaceSample) -> Double) -> Double {
                Self.line(window.map { (Double($0.timeMs - sample.timeMs), value($0)) })
            }
            let width = fit(size) { Double($0.width) }, height = fit(size) { Double($0.height) }
            let cx = fit(centre) { Double($0.x) + Double($0.width) / 2 }, cy = fit(centre) { Double($0.y) + Double($0.height) / 2 }
            return FaceSample(timeMs: sample.timeMs, x: Int((cx - width / 2).rounded()), y: Int((cy - height / 2).rounded()),
                              width: Int(width.rounded()), height: Int(height.rounded()))
        }
    }

    /// The least-squares line through `points` (t, v), at t = 0.
    private static func line(_ points: [(t: Double, v: Double)]) -> Double {
        let n = Double(points.count)
        let mt = points.map(\.t).reduce(0, +) / n, mv = points.map(\.v).reduce(0, +) / n
        var stv = 0.0, stt = 0.0
        for p in points { stv += (p.t - mt) * (p.v - mv); stt += (p.t - mt) * (p.t - mt) }
        return stt > 0 ? mv - stv / stt * mt : mv
    }
}
