import GRDB

/// Transactions and savepoints from cached statements. GRDB's own compile `BEGIN`,
/// `SAVEPOINT` and `RELEASE` on every use (its authorizer included), and with hundreds of
/// small transactions a run, that compiling cost more than the rows written.
extension Database {
    /// The body's writes, committed together; none of them if it throws.
    func inCachedTransaction<T>(_ body: () throws -> T) throws -> T {
        try cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let result = try body()
            try cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if isInsideTransaction { try? cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            throw error
        }
    }

    /// The body's writes, undone alone if it throws. A transaction SQLite rolled back by
    /// itself (a full disk, an I/O error) fails here instead of a savepoint starting another,
    /// which would commit what follows while what came before was lost.
    func inCachedSavepoint<T>(_ body: () throws -> T) throws -> T {
        guard isInsideTransaction else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the journal's transaction was rolled back")
        }
        try cachedStatement(sql: "SAVEPOINT op").execute()
        do {
            let result = try body()
            try cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
            return result
        } catch {
            try? cachedStatement(sql: "ROLLBACK TO SAVEPOINT op").execute()
            try? cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
            throw error
        }
    }
}
