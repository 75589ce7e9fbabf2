import Foundation
import GRDB
import KlingAPI
import Synchronization

public typealias LipSyncTaskSnapshot = LipSyncTask

/// The SQLite journal of what a script paid for: identify results per video and every
/// lip-sync request by its fingerprint. Entries are written *before* a create is sent and
/// updated after, so a crash between the two is resolved on the next run by
/// `external_task_id` instead of by creating (and paying for) a second task.
/// Entries are scoped by backend: a task on the emulator is not a task on Kling.
public final class Journal: Sendable {
    let db: DatabaseQueue
    /// Every write, and the reads a write depends on, share transactions through here.
    let commits: GroupCommit
    public let backend: String
    public let path: String
    /// Tasks this journal last recorded as not finished. A wait on one needs no look-up
    /// first: only another run could have recorded its end since, and then the query says
    /// the same. A thousand waits each did a look-up (a write transaction) before.
    let unfinished = Mutex<Set<String>>([])
    /// The video each session id was found to belong to: a session never moves to another
    /// video, so a thousand creates on one session ask SQLite once.
    let videoKeys = Mutex<[String: String]>([:])

    public init(path: String, backend: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(10)
        // WAL, commits without fsync (as the emulator's Store): with a rollback journal every
        // write created, synced and deleted a -journal file, and that was ~60% of `klip run`'s
        // CPU for 1,000 tasks (perf, scripts/bench load). A commit still survives the process
        // being killed; a power loss can take the last ones, and then the create is found
        // again by its derived external_task_id, so nothing is paid twice.
        config.journalMode = .wal
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(db)
            commits = GroupCommit(db)
        } catch let error as DatabaseError {
            throw JournalError(path: path, reason: error.message ?? "\(error)")
        }
        self.backend = backend
        self.path = path
    }

    deinit { commits.close(db) }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "session") { t in
                t.column("backend", .text).notNull()
                t.column("videoKey", .text).notNull()
                t.column("sessionID", .text).notNull()
                t.column("resultJSON", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("validUntil", .integer).notNull()
                t.primaryKey(["backend", "videoKey"])
            }
            try db.create(table: "lipsync") { t in
                t.column("backend", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("externalTaskID", .text).notNull()
                t.column("taskID", .text)
                t.column("status", .text).notNull()
                t.column("statusMsg", .text)
                t.column("taskJSON", .text)
                t.column("downloadedPath", .text)
                t.column("summary", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("updatedAt", .integer).notNull().indexed()
                t.primaryKey(["backend", "fingerprint"])
            }
            try db.create(index: "lipsync_task", on: "lipsync", columns: ["backend", "taskID"])
        }
        // One row per session, not per video: two runs identifying the same video at once
        // each keep their session's video key, so their requests get the same fingerprint
        // (and external_task_id), and the server makes the task once, whichever run wins.
        m.registerMigration("v2-session-per-id") { db in
            try db.create(table: "session_v2") { t in
                t.column("backend", .text).notNull()
                t.column("videoKey", .text).notNull()
                t.column("sessionID", .text).notNull()
                t.column("resultJSON", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.column("validUntil", .integer).notNull()
                t.primaryKey(["backend", "sessionID"])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO session_v2 SELECT backend, videoKey, sessionID, resultJSON, createdAt, validUntil FROM session")
            try db.drop(table: "session")
            try db.rename(table: "session_v2", to: "session")
            try db.create(index: "session_video", on: "session", columns: ["backend", "videoKey", "createdAt"])
        }
        return m
    }

    // MARK: identify

    public func session(videoKey: String, now: Int64? = nil) async throws -> IdentifyFaceResult? {
        let now = now ?? nowMs()
        let backend = self.backend
        guard let entry = try await db.read({ db in
            try SessionEntry.filter(Column("backend") == backend && Column("videoKey") == videoKey && Column("validUntil") > now)
                .order(Column("createdAt").desc).fetchOne(db)
        }) else { return nil }
        return try? JSONDecoder().decode(IdentifyFaceResult.self, from: Data(entry.resultJSON.utf8))
    }

    /// Videos identified through the journal, for fingerprints: session id → video key.
    public func videoKey(sessionID: String) async throws -> String? {
        let backend = self.backend
        return try await db.read { db in try Self.videoKey(db, backend, sessionID) }
    }

    static func videoKey(_ db: Database, _ backend: String, _ sessionID: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT videoKey FROM session WHERE backend = ? AND sessionID = ?"),
                            arguments: [backend, sessionID])
    }

    public func record(session result: IdentifyFaceResult, videoKey: String, validFor: Duration) async throws {
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        let now = nowMs()
        let entry = SessionEntry(backend: backend, videoKey: videoKey, sessionID: result.sessionID, resultJSON: json,
                                 createdAt: now, validUntil: now + Int64(validFor.components.seconds) * 1000)
        try await commits.write { db in try entry.save(db) }
    }

    // MARK: listing

    /// Entries of every backend, newest first.
    public func list(limit: Int = 100, allBackends: Bool = true) async throws -> [JournalEntry] {
        let backend = self.backend
        return try await db.read { db in
            var request = JournalEntry.order(Column("updatedAt").desc).limit(limit)
            if !allBackends { request = request.filter(Column("backend") == backend) }
            return try request.fetchAll(db)
        }
    }

    public func find(_ id: String) async throws -> JournalEntry? {
        try await db.read { db in
            try JournalEntry.filter(Column("taskID") == id || Column("externalTaskID") == id || Column("fingerprint") == id)
                .order(Column("updatedAt").desc).fetchOne(db)
        }
    }

    /// Deletes finished entries (and expired sessions) not updated since `before`; pending
    /// ones are kept, since they may stand for a task that is still billed.
    @discardableResult
    public func prune(before: Int64) async throws -> Int {
        try await commits.write { db in
            try db.execute(sql: "DELETE FROM session WHERE validUntil < ?", arguments: [nowMs()])
            try db.execute(sql: "DELETE FROM lipsync WHERE updatedAt < ? AND status IN ('succeed', 'failed')",
                           arguments: [before])
            return db.changesCount
        }
    }
}
