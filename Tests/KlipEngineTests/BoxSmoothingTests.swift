@testable import KlipEngine
import Testing

/// The track-box steadying of identify: pure logic on made-up samples.
@Suite("Box smoothing")
struct BoxSmoothingTests {
    let smoothing = BoxSmoothing(centreMs: 400, sizeMs: 1000)

    @Test func aStillFaceJumpingBetweenPyramidSizesGetsOneSteadySize() {
        // Every 120 ms for 4 s, the box alternating 176 and 208 px around one centre (300, 300).
        let samples = (0..<34).map { i -> FaceSample in
            let side = (i / 3) % 2 == 0 ? 176 : 208
            return FaceSample(timeMs: i * 120, x: 300 - side / 2, y: 300 - side / 2, width: side, height: side)
        }
        let steady = smoothing.steadied(samples)
        let inner = steady[8..<26]
        #expect(inner.map(\.width).max()! - inner.map(\.width).min()! <= 8, "\(inner.map(\.width))")
        for s in steady { #expect(abs(s.x + s.width / 2 - 300) <= 1 && abs(s.y + s.height / 2 - 300) <= 1, "\(s)") }
        #expect(steady.first == samples.first && steady.last == samples.last, "the ends stay where they were found")
    }

    @Test func aFaceMovingSteadilyStaysOnItsPathWhereSamplesAreDenser() {
        // 225 px/s to the right; frame by frame (40 ms) for the first 0.4 s, every 120 ms after.
        let times = Array(stride(from: 0, to: 400, by: 40)) + Array(stride(from: 400, through: 1600, by: 120))
        let samples = times.map { FaceSample(timeMs: $0, x: 100 + $0 * 225 / 1000, y: 300, width: 90, height: 90) }
        for (s, original) in zip(smoothing.steadied(samples), samples) {
            #expect(abs(s.x - original.x) <= 1 && s.y == 300 && s.width == 90, "\(s) vs \(original)")
        }
    }
}
