@testable import KlipEngine
import Testing

/// The linking rules on synthetic detections (searched every 80 ms, 40 ms frames as at 25 fps).
@Suite("Face tracker rules")
struct FaceTrackerTests {
    func face(_ x: Int, _ y: Int = 100, size: Int = 120) -> DetectedFace {
        DetectedFace(x: x, y: y, width: size, height: size, score: 1)
    }

    func run(_ frames: [(Int, [DetectedFace])], durationMs: Int = 10_000) -> [FaceTrack] {
        var tracker = FaceTracker(options: .default, frameMs: 40)
        for (time, faces) in frames { _ = tracker.add(timeMs: time, faces: faces) }
        return tracker.finish(durationMs: durationMs).tracks
    }

    @Test func fewerThanThreeSamplesAreDropped() {
        let tracks = run([(0, [face(100)]), (80, [face(102)]), (160, []), (240, [face(500)]), (320, [face(500)]), (400, [face(501)])])
        #expect(tracks.count == 1)
        #expect(tracks.first?.startMs == 240)
        #expect(tracks.first?.endMs == 440)
    }

    @Test func gapRule() {
        let seen = { (from: Int, to: Int) in stride(from: from, through: to, by: 80).map { ($0, [self.face(200)]) } }
        // Last seen at 960 (its frame ends at 1000); back at 2000: a 1.0 s gap joins.
        let joined = run(seen(0, 960) + seen(2000, 2400))
        #expect(joined.count == 1)
        #expect(joined.first?.startMs == 0)
        #expect(joined.first?.endMs == 2440)
        // Back at 2080 instead: a 1.08 s gap splits.
        let split = run(seen(0, 960) + seen(2080, 2400))
        #expect(split.map(\.startMs) == [0, 2080])
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

    @Test func refinementSamplesMoveTheEndsButDoNotCount() {
        var tracker = FaceTracker(options: .default, frameMs: 40)
        var id = -1
        for t in [240, 360] { id = tracker.add(timeMs: t, faces: [face(300)])[0] }
        tracker.insert(FaceSample(timeMs: 200, x: 300, y: 100, width: 120, height: 120), into: id)
        tracker.insert(FaceSample(timeMs: 400, x: 300, y: 100, width: 120, height: 120), into: id)
        // Two searched frames only: not a face yet, whatever the refinement added.
        var twoOnly = tracker
        #expect(twoOnly.finish(durationMs: 10_000).tracks.isEmpty)
        _ = tracker.add(timeMs: 480, faces: [face(302)])
        let tracks = tracker.finish(durationMs: 10_000).tracks
        #expect(tracks.first?.startMs == 200)
        #expect(tracks.first?.endMs == 520)
        #expect(tracks.first?.samples.map(\.timeMs) == [200, 240, 360, 400, 480])
    }

    @Test func boxAtATimeIsTheNearestSample() {
        let track = FaceTrack(index: 0, startMs: 0, endMs: 400, samples: [0, 120, 240, 360].map {
            FaceSample(timeMs: $0, x: $0, y: 0, width: 10, height: 10)
        })
        #expect(track.box(atMs: -50)?.timeMs == 0)
        #expect(track.box(atMs: 170)?.timeMs == 120)
        #expect(track.box(atMs: 190)?.timeMs == 240)
        #expect(track.box(atMs: 9999)?.timeMs == 360)
        #expect(FaceTrack(index: 1, startMs: 0, endMs: 0, samples: []).box(atMs: 0) == nil)
    }

    @Test func endIsClampedToTheVideo() {
        let tracks = run(stride(from: 0, through: 960, by: 80).map { ($0, [face(300)]) }, durationMs: 1000)
        #expect(tracks.first?.endMs == 1000)
    }
}
