import Foundation
import GRDB
import KlingAPI
import KlipEngine

/// A session from identify-face: its video (a private copy) and its face tracks.
struct SessionRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "session"
    var id: String
    /// ms since the epoch
    var createdAt: Int64
    var expiresAt: Int64
    var videoPath: String
    var durationMs: Int
    var width: Int
    var height: Int
    /// `[FaceTrack]` as JSON.
    var tracksJSON: String

    var tracks: [FaceTrack] {
        (try? JSONDecoder().decode([FaceTrack].self, from: Data(tracksJSON.utf8))) ?? []
    }
}

/// A lip-sync task and everything needed to (re)run it after a restart.
struct TaskRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "task"
    var id: String
    var externalTaskID: String?
    var sessionID: String
    var status: TaskStatus
    var statusMsg: String
    var createdAt: Int64
    var updatedAt: Int64
    var faceID: String
    /// The audio, already fetched or decoded into the state directory at create time.
    var audioPath: String
    var soundStartMs: Int
    var soundEndMs: Int
    var insertMs: Int
    var soundVolume: Double
    var originalVolume: Double
    var callbackURL: String?
    /// `http://host:port` from the create request's Host, for URLs in callbacks.
    var baseURL: String
    var resultDurationMs: Int?
}

enum IDs {
    /// Kling's ids are long decimal strings (clients must keep them strings); so are ours.
    static func make() -> String {
        String(UInt64.random(in: 100_000_000_000_000_000...999_999_999_999_999_999))
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
