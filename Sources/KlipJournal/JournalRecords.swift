import Foundation
import GRDB

/// An identify result, reused while its session is valid so a rerun does not pay again.
/// One row per session: a video identified twice keeps both (the newest is reused).
struct SessionEntry: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "session"
    var backend: String
    /// What identifies the video: its content hash for a local file, else the URL or video_id.
    var videoKey: String
    var sessionID: String
    var resultJSON: String
    var createdAt: Int64
    var validUntil: Int64
}

/// One lip-sync request, from before it is sent until its video is on disk.
public struct JournalEntry: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "lipsync"
    public var backend: String
    /// Hash of what determines the output: video, face, audio content, times, volumes.
    public var fingerprint: String
    public var attempt: Int
    public var externalTaskID: String
    public var taskID: String?
    /// The status last seen: "pending" until the create is answered, then the API's.
    public var status: String
    public var statusMsg: String?
    public var taskJSON: String?
    public var downloadedPath: String?
    public var summary: String
    public var createdAt: Int64
    public var updatedAt: Int64

    /// The task as last recorded, when the API answered at least once.
    public var task: LipSyncTaskSnapshot? {
        taskJSON.flatMap { try? JSONDecoder().decode(LipSyncTaskSnapshot.self, from: Data($0.utf8)) }
    }
}

/// What the journal knows of a lip-sync request before it is sent.
public struct JournalLookUp: Sendable {
    /// The session's video key, or `session:<id>` when the journal did not identify it.
    public var videoKey: String
    public var fingerprint: String
    public var entry: JournalEntry?
}

/// An entry to write before a create is sent: the attempt and the external id it sends.
public struct PendingEntry: Sendable, Equatable {
    public var externalTaskID: String
    public var attempt: Int
    public var summary: String

    public init(externalTaskID: String, attempt: Int, summary: String) {
        self.externalTaskID = externalTaskID
        self.attempt = attempt
        self.summary = summary
    }
}

/// Milliseconds since the epoch.
func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
