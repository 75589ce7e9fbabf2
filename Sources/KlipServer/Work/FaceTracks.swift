import Crypto
import Foundation
import KlipEngine
import KlipMedia

/// Identify's face tracking, by video content (SHA-256 of the session's copy). Tracking a
/// 10 s 720p clip costs ~2 s of CPU, and a client identifying the same clip 200 times would
/// otherwise pay it 200 times; the same bytes give the same tracks, so they are tracked once
/// (concurrent identifies of one video share the one tracking). Each session still gets its
/// own id and its own copy of the crops; the tracks are the same an uncached identify finds.
struct FaceTracks: Sendable {
    /// The tracks (empty: no face) and each face's crop as JPEG bytes, by track index.
    struct Found: Sendable {
        var tracks: [FaceTrack]
        var crops: [Int: Data]
    }

    let pool: FaceIdentifierPool
    let layout: StateLayout
    /// Crops are a few tens of KB and tracks a few KB per face-minute: 64 videos is a few MB.
    let cache = SharedCache<SHA256Digest, Found>(capacity: 64)

    /// The faces of the (validated) video at `videoPath`, each crop written into
    /// `cropsDirectory` as `face-<index>.jpg`; empty when no face is seen long enough.
    func identify(videoPath: String, cropsDirectory: URL) async throws -> [FaceTrack] {
        let key = try await DedicatedThread.run(name: "klip-digest") { try ContentDigest.of(videoPath) }
        let found = try await cache.value(for: key) { [pool, layout] in
            try await Self.track(videoPath, pool: pool, layout: layout)
        }
        try FileManager.default.createDirectory(at: cropsDirectory, withIntermediateDirectories: true)
        for (index, jpeg) in found.crops {
            try jpeg.write(to: cropsDirectory.appendingPathComponent("face-\(index).jpg"))
        }
        return found.tracks
    }

    /// Tracks a link to the video in a scratch folder: the identify that started the tracking
    /// may be cancelled and delete its copy while others still wait for the result.
    private static func track(_ videoPath: String, pool: FaceIdentifierPool, layout: StateLayout) async throws -> Found {
        let scratch = try layout.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let video = scratch.appendingPathComponent((videoPath as NSString).lastPathComponent).path
        do { try FileManager.default.linkItem(atPath: videoPath, toPath: video) } catch {
            try FileManager.default.copyItem(atPath: videoPath, toPath: video)
        }
        let crops = scratch.appendingPathComponent("crops")
        let tracks: [FaceTrack]
        do {
            tracks = try await pool.identify(videoPath: video, cropsDirectory: crops)
        } catch EngineError.noFace {
            // Kling's documents do not say what a video without faces answers; a session with
            // an empty face_data tells the caller the same thing without an error code to guess.
            return Found(tracks: [], crops: [:])
        }
        var jpegs: [Int: Data] = [:]
        for track in tracks {
            jpegs[track.index] = try Data(contentsOf: crops.appendingPathComponent("face-\(track.index).jpg"))
        }
        return Found(tracks: tracks, crops: jpegs)
    }
}
