import Foundation
import GRDB
import KlingAPI

/// Sessions and tasks in `stateDirectory/klip.sqlite`. Every method is one transaction.
///
/// WAL (a `DatabasePool`): queries and lists never wait behind a write, and a commit costs
/// no fsync (`synchronous = NORMAL`). A committed task survives the process being killed at
/// any point (the WAL is in the OS's hands once written); only a power loss can take the last
/// commits, which an emulator may afford. With a rollback journal every write did several
/// fsyncs and every read waited behind them: under load on a busy disk, seconds.
struct Store: Sendable {
    let db: DatabasePool

    init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        db = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "session") { t in
                t.primaryKey("id", .text)
                t.column("createdAt", .integer).notNull()
                t.column("expiresAt", .integer).notNull()
                t.column("videoPath", .text).notNull()
                t.column("durationMs", .integer).notNull()
                t.column("width", .integer).notNull()
                t.column("height", .integer).notNull()
                t.column("tracksJSON", .text).notNull()
            }
            try db.create(table: "task") { t in
                t.primaryKey("id", .text)
                t.column("externalTaskID", .text).unique()
                t.column("sessionID", .text).notNull()
                t.column("status", .text).notNull().indexed()
                t.column("statusMsg", .text).notNull()
                t.column("createdAt", .integer).notNull().indexed()
                t.column("updatedAt", .integer).notNull()
                t.column("faceID", .text).notNull()
                t.column("audioPath", .text).notNull()
                t.column("soundStartMs", .integer).notNull()
                t.column("soundEndMs", .integer).notNull()
                t.column("insertMs", .integer).notNull()
                t.column("soundVolume", .double).notNull()
                t.column("originalVolume", .double).notNull()
                t.column("callbackURL", .text)
                t.column("baseURL", .text).notNull()
                t.column("resultDurationMs", .integer)
            }
        }
        return m
    }

    /// The stored values of the statuses that hold a render slot (not final yet).
    static let slotHolding = [TaskStatus.submitted, .processing].map(\.rawValue)

    func insert(_ session: SessionRecord) async throws {
        try await db.write { db in try session.insert(db) }
    }

    func session(_ id: String) async throws -> SessionRecord? {
        try await db.read { db in try SessionRecord.fetchOne(db, key: id) }
    }

    enum CreateOutcome: Sendable { case created, overLimit, duplicateExternalID }

    /// Inserts a task unless `limit` tasks are already active or its external id is taken,
    /// atomically, so two concurrent creates cannot both take the last slot.
    func create(_ task: TaskRecord, limit: Int) async throws -> CreateOutcome {
        try await db.write { db in
            if let ext = task.externalTaskID,
               try TaskRecord.filter(Column("externalTaskID") == ext).fetchCount(db) > 0 {
                return .duplicateExternalID
            }
            let active = try TaskRecord.filter(Self.slotHolding.contains(Column("status"))).fetchCount(db)
            if active >= limit { return .overLimit }
            try task.insert(db)
            return .created
        }
    }

    /// What a create checks before doing any work, read together: the session, whether the
    /// external id is taken, and how many tasks hold a slot (one read instead of three).
    struct Admission: Sendable {
        var session: SessionRecord?
        var externalIDTaken: Bool
        var active: Int
    }

    func admission(session id: String, externalTaskID: String?) async throws -> Admission {
        try await db.read { db in
            let taken = try externalTaskID.map { try TaskRecord.filter(Column("externalTaskID") == $0).fetchCount(db) > 0 } ?? false
            return Admission(session: try SessionRecord.fetchOne(db, key: id), externalIDTaken: taken,
                             active: try TaskRecord.filter(Self.slotHolding.contains(Column("status"))).fetchCount(db))
        }
    }

    /// A task the runner takes up: `submitted` becomes `processing` in the same transaction
    /// that reads it (`started`). Nil when it is gone or already final.
    func claim(_ id: String) async throws -> (task: TaskRecord, started: Bool)? {
        try await db.write { db in
            guard var t = try TaskRecord.fetchOne(db, key: id), !t.status.isFinal else { return nil }
            guard t.status == .submitted else { return (t, false) }
            t.status = .processing
            t.statusMsg = ""
            t.resultDurationMs = nil
            t.updatedAt = max(IDs.nowMs(), t.updatedAt)
            try t.update(db)
            return (t, true)
        }
    }

    /// Tasks holding a slot (`submitted` or `processing`).
    func activeCount() async throws -> Int {
        try await db.read { db in
            try TaskRecord.filter(Self.slotHolding.contains(Column("status"))).fetchCount(db)
        }
    }

    /// By task id first, then by external task id.
    func task(_ id: String) async throws -> TaskRecord? {
        try await db.read { db in
            if let t = try TaskRecord.fetchOne(db, key: id) { return t }
            return try TaskRecord.filter(Column("externalTaskID") == id).fetchOne(db)
        }
    }

    /// Newest first.
    func tasks(page: Int, size: Int) async throws -> [TaskRecord] {
        try await db.read { db in
            try TaskRecord.order(Column("createdAt").desc, Column.rowID.desc)
                .limit(size, offset: (page - 1) * size).fetchAll(db)
        }
    }

    /// Tasks a previous run left unfinished, oldest first.
    func unfinished() async throws -> [TaskRecord] {
        try await db.read { db in
            try TaskRecord.filter(Self.slotHolding.contains(Column("status")))
                .order(Column("createdAt"), Column.rowID).fetchAll(db)
        }
    }

    /// Expired sessions no unfinished task still needs.
    func expiredSessions(now: Int64) async throws -> [SessionRecord] {
        try await db.read { db in
            let busy = Set(try TaskRecord.filter(Self.slotHolding.contains(Column("status")))
                .select(Column("sessionID"), as: String.self).distinct().fetchAll(db))
            return try SessionRecord.filter(Column("expiresAt") <= now).fetchAll(db).filter { !busy.contains($0.id) }
        }
    }

    /// Sets a task's status; returns the updated task (nil when it is gone).
    func update(_ id: String, status: TaskStatus, message: String, resultDurationMs: Int? = nil) async throws -> TaskRecord? {
        try await db.write { db in
            guard var t = try TaskRecord.fetchOne(db, key: id) else { return nil }
            t.status = status
            t.statusMsg = message
            t.resultDurationMs = resultDurationMs
            t.updatedAt = max(IDs.nowMs(), t.updatedAt)
            try t.update(db)
            return t
        }
    }
}
