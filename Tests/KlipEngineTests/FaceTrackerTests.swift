@testable import KlipEngine
import Testing

/// The linking rules on synthetic detections (80 ms between samples, as at 25 fps).
@Suite("Face tracker rules")
struct FaceTrackerTests {
    func face(_ x: Int, _ y: Int = 100, size: Int = 120) -> DetectedFace {
        DetectedFace(x: x, y: y, width: size, height: size, score: 1)
    }

    func run(_ frames: [(Int, [DetectedFace])], durationMs: Int = 10_000) -> [FaceTrack] {
        var tracker = FaceTracker(options: .default, stepMs: 80)
        for (time, faces) in frames { _ = tracker.add(timeMs: time, faces: faces) }
        return tracker.finish(durationMs: durationMs).tracks
    }

    @Test func fewerThanThreeSamplesAreDropped() {
        let tracks = run([(0, [face(100)]), (80, [face(102)]), (160, []), (240, [face(500)]), (320, [face(500)]), (400, [face(501)])])
        #expect(tracks.count == 1)
        #expect(tracks.first?.startMs == 240)
        #expect(tracks.first?.endMs == 480)
    }

    @Test func gapRule() {
        let seen = { (from: Int, to: Int) in stride(from: from, through: to, by: 80).map { ($0, [self.face(200)]) } }
        // Last seen at 960 (covering to 1040); back at 2000: a 0.96 s gap joins.
        let joined = run(seen(0, 960) + seen(2000, 2400))
        #expect(joined.count == 1)
        #expect(joined.first?.startMs == 0)
        #expect(joined.first?.endMs == 2480)
        // Back at 2160 instead: a 1.12 s gap splits.
        let split = run(seen(0, 960) + seen(2160, 2400))
        #expect(split.map(\.startMs) == [0, 2160])
        #expect(split.map(\.index) == [0, 1])
    }

    @Test func simultaneousFacesStayApartAndOrderLeftToRight() {
        let frames = stride(from: 0, through: 800, by: 80).map { t in (t, [face(900 - t / 40), face(100 + t / 40)]) }
        let tracks = run(frames)
        #expect(tracks.count == 2)
        #expect(tracks.map(\.index) == [0, 1])
        #expect(tracks[0].samples.allSatisfy { $0.x < 500 })
        #expect(tracks[1].samples.allSatisfy { $0.x > 500 })
        #expect(tracks.allSatisfy { $0.samples.count == 11 })
    }

    @Test func endIsClampedToTheVideo() {
        let tracks = run(stride(from: 0, through: 960, by: 80).map { ($0, [face(300)]) }, durationMs: 1000)
        #expect(tracks.first?.endMs == 1000)
    }
}
