import Foundation
import GRDB
import KlingAPI

/// The lip-sync entries. A create is one transaction before it is sent (look up, and write
/// the entry when nothing is recorded) and one after; a wait reads the entry and writes what
/// it sees. Every statement is cached: compiling them (GRDB's authorizer included) was most
/// of the journal's CPU in a 1,000-task run.
extension Journal {
    /// Looks the request up and, when `begin` answers, writes the entry it describes before
    /// the transaction ends: the common create (nothing recorded yet) needs no second one.
    public func lookUp(_ request: LipSyncRequest,
                       begin: @escaping @Sendable (JournalLookUp) -> PendingEntry? = { _ in nil })
        async throws -> (found: JournalLookUp, began: JournalEntry?) {
        let backend = self.backend
        return try await commits.write { [self] db in
            let session = request.sessionID
            var known = videoKeys.withLock { $0[session] }
            if known == nil, let found = try Self.videoKey(db, backend, session) {
                known = found
                videoKeys.withLock { $0[session] = found }
            }
            let videoKey = known ?? "session:" + session
            let fingerprint = Fingerprint.lipSync(request, videoKey: videoKey)
            let found = JournalLookUp(videoKey: videoKey, fingerprint: fingerprint,
                                      entry: try Self.entry(db, backend, fingerprint))
            guard let pending = begin(found) else { return (found, nil) }
            return (found, try Self.begin(db, backend, fingerprint, pending))
        }
    }

    /// Through the write queue, so it sees the records not yet committed.
    public func entry(fingerprint: String) async throws -> JournalEntry? {
        let backend = self.backend
        return try await commits.write { db in try Self.entry(db, backend, fingerprint) }
    }

    static func entry(_ db: Database, _ backend: String, _ fingerprint: String) throws -> JournalEntry? {
        try JournalEntry.fetchOne(db.cachedStatement(sql: "SELECT * FROM lipsync WHERE backend = ? AND fingerprint = ?"),
                                  arguments: [backend, fingerprint])
    }

    /// In a write transaction: it comes before a wait that records what it sees.
    public func entry(taskID: String) async throws -> JournalEntry? {
        let backend = self.backend
        return try await commits.write { db in
            try JournalEntry.fetchOne(db.cachedStatement(sql: "SELECT * FROM lipsync WHERE backend = ? AND taskID = ? LIMIT 1"),
                                      arguments: [backend, taskID])
        }
    }

    /// Written before the create is sent.
    public func begin(fingerprint: String, externalTaskID: String, attempt: Int, summary: String) async throws -> JournalEntry {
        let backend = self.backend
        let pending = PendingEntry(externalTaskID: externalTaskID, attempt: attempt, summary: summary)
        return try await commits.write { db in try Self.begin(db, backend, fingerprint, pending) }
    }

    /// Replaces the whole row: a new attempt forgets the last one's task.
    static func begin(_ db: Database, _ backend: String, _ fingerprint: String, _ pending: PendingEntry) throws -> JournalEntry {
        let now = nowMs()
        let entry = JournalEntry(backend: backend, fingerprint: fingerprint, attempt: pending.attempt,
                                 externalTaskID: pending.externalTaskID, taskID: nil, status: "pending", statusMsg: nil,
                                 taskJSON: nil, downloadedPath: nil, summary: pending.summary, createdAt: now, updatedAt: now)
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO lipsync (backend, fingerprint, attempt, externalTaskID, status, summary, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [backend, fingerprint, pending.attempt, pending.externalTaskID, entry.status,
                                     pending.summary, now, now])
        return entry
    }

    /// Records what the API said of the entry's task (after a create, a query or a wait),
    /// without waiting for the commit: a record lost with the process is asked of the API
    /// again by the next run (a pending entry by its external_task_id, a task by its id).
    public func record(_ task: LipSyncTask, fingerprint: String) throws {
        let json = try task.journalJSON()
        let backend = self.backend
        commits.writeLater { db in
            try db.cachedStatement(sql: """
                UPDATE lipsync SET taskID = ?, status = ?, statusMsg = ?, taskJSON = ?, updatedAt = ?
                WHERE backend = ? AND fingerprint = ?
                """).execute(arguments: [task.taskID, task.taskStatus.rawValue, task.taskStatusMsg, json, nowMs(),
                                         backend, fingerprint])
        }
        noteStatus(of: task)
    }

    /// Records a task seen by id only (a wait on a task the journal knows); one statement, as
    /// a thousand waits each record what they see. Not waited for, as `record(_:fingerprint:)`.
    public func record(_ task: LipSyncTask) throws {
        let json = try task.journalJSON()
        let backend = self.backend
        commits.writeLater { db in
            try db.cachedStatement(sql: """
                UPDATE lipsync SET status = ?, statusMsg = ?, taskJSON = ?, updatedAt = ?
                WHERE backend = ? AND taskID = ?
                """).execute(arguments: [task.taskStatus.rawValue, task.taskStatusMsg, json, nowMs(), backend, task.taskID])
        }
        noteStatus(of: task)
    }

    private func noteStatus(of task: LipSyncTask) {
        unfinished.withLock { ids in
            if task.taskStatus.isFinal { ids.remove(task.taskID) } else { ids.insert(task.taskID) }
        }
    }

    /// Returns once every record is committed; throws the first that failed since the last flush.
    public func flush() async throws { try await commits.flush() }

    /// Whether this journal last recorded the task as not finished (so it holds no result).
    public func recordedUnfinished(taskID: String) -> Bool {
        unfinished.withLock { $0.contains(taskID) }
    }

    public func recordDownload(taskID: String, path: String) async throws {
        let backend = self.backend
        try await commits.write { db in
            try db.cachedStatement(sql: "UPDATE lipsync SET downloadedPath = ?, updatedAt = ? WHERE backend = ? AND taskID = ?")
                .execute(arguments: [path, nowMs(), backend, taskID])
        }
    }

    /// Drops an entry whose create was refused for certain (nothing was created, nothing is owed).
    func forget(fingerprint: String) async throws {
        let backend = self.backend
        try await commits.write { db in
            try db.execute(sql: "DELETE FROM lipsync WHERE backend = ? AND fingerprint = ? AND taskID IS NULL",
                           arguments: [backend, fingerprint])
        }
    }
}
