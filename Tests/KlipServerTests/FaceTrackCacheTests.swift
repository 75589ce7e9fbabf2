import Foundation
@testable import KlipServer
import KlipEngine
import Testing

/// Identify tracks a video's content once (`FaceTracks`): the same bytes give every session
/// the same faces and intervals an uncached identify finds, with its own id and crops.
@Suite("Face tracks by content", .serialized)
struct FaceTrackCacheTests {
    func tracks(state: URL) -> (FaceTracks, FaceIdentifierPool) {
        let pool = FaceIdentifierPool(size: 2)
        return (FaceTracks(pool: pool, layout: StateLayout(root: state)), pool)
    }

    func crops(_ directory: URL, _ tracks: [FaceTrack]) throws -> [Data] {
        try tracks.map { try Data(contentsOf: directory.appendingPathComponent("face-\($0.index).jpg")) }
    }

    @Test func concurrentIdentifiesOfOneVideoTrackItOnceAndMatchAnUncachedTracking() async throws {
        let state = try temporaryDirectory()
        let video = try await Fixtures.shared.faceVideo()
        let (faces, pool) = tracks(state: state)
        let found = try await withThrowingTaskGroup(of: ([FaceTrack], [Data]).self) { group in
            for n in 0..<3 {
                group.addTask {
                    let dir = state.appendingPathComponent("crops-\(n)")
                    let tracks = try await identifyGate.withPermit { try await faces.identify(videoPath: video, cropsDirectory: dir) }
                    return (tracks, try crops(dir, tracks))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let later = state.appendingPathComponent("crops-later")
        let again = try await faces.identify(videoPath: video, cropsDirectory: later)
        #expect(await pool.tracked == 1)

        // Uncached: a fresh cache and pool track the same file anew.
        let (fresh, freshPool) = tracks(state: state)
        let uncachedDir = state.appendingPathComponent("crops-uncached")
        let uncached = try await identifyGate.withPermit { try await fresh.identify(videoPath: video, cropsDirectory: uncachedDir) }
        #expect(await freshPool.tracked == 1)
        #expect(uncached.count == 1, "one-face.mp4: \(uncached.count) faces")
        for (tracks, jpegs) in found + [(again, try crops(later, again))] {
            #expect(tracks == uncached)
            #expect(jpegs == (try crops(uncachedDir, uncached)))
        }
    }

    @Test func noFaceIsRememberedAsNoFace() async throws {
        let state = try temporaryDirectory()
        let video = Fixtures.repoMedia.appendingPathComponent("no-face.mp4").path
        let (faces, pool) = tracks(state: state)
        for n in 0..<2 {
            let tracks = try await identifyGate.withPermit {
                try await faces.identify(videoPath: video, cropsDirectory: state.appendingPathComponent("crops-\(n)"))
            }
            #expect(tracks.isEmpty)
        }
        #expect(await pool.tracked == 1)
    }

    @Test func everySessionOfOneVideoHasItsOwnIdAndCropsAndTheSameFaces() async throws {
        let root = try await mediaRoot()
        try await withEmulator({ $0.mediaRoots = [root.path] }) { server in
            let video = "file://" + root.appendingPathComponent("one-face.mp4").path
            let (first, firstFaces) = try await server.identify(video)
            let (second, secondFaces) = try await server.identify(video)
            #expect(first != second)
            #expect(firstFaces.count == 1)
            for (a, b) in zip(firstFaces, secondFaces) {
                for field in ["face_id", "start_time", "end_time"] { #expect("\(a[field] ?? "-")" == "\(b[field] ?? "-")") }
                let images = [a, b].compactMap { $0["face_image"] as? String }
                #expect(Set(images).count == 2, "both sessions serve one crop: \(images)")
                let bodies = try await images.asyncMap { try await call(.GET, $0) }
                #expect(bodies.allSatisfy { $0.status == 200 && !$0.body.isEmpty })
                #expect(bodies.first?.body == bodies.last?.body)
            }
            let store = try Store(path: StateLayout(root: URL(fileURLWithPath: server.config.stateDirectory)).database)
            let sessions = try await [first, second].asyncMap { try #require(try await store.session($0)) }
            #expect(sessions[0].tracks == sessions[1].tracks)
            #expect(sessions[0].videoPath != sessions[1].videoPath)
        }
    }
}
