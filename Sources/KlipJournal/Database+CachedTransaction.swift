import GRDB

/// Transactions from cached statements. GRDB's own compile `BEGIN` and `COMMIT` on every use
/// (its authorizer included), and with hundreds of small transactions a run, that compiling
/// cost more than the rows written.
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
}
