import GRDB

/// Writes from concurrent callers share one transaction. A thousand tasks made five
/// transactions each, and every commit's locks and WAL pages cost more than its rows; now
/// what queues while one transaction runs goes in the next. Each operation of a batch runs in
/// its own savepoint (one alone, in the transaction), so one that throws fails only its
/// caller, and every caller resumes only after the commit: "written before the create is
/// sent" holds exactly. A caller cancelled while queued leaves the queue; once its
/// transaction has begun, it gets what was committed.
actor GroupCommit {
    private struct Queued: Sendable {
        let id: Int
        /// Runs the operation; what it returns answers the caller after the commit.
        let run: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private let writer: any DatabaseWriter
    private var queued: [Queued] = []
    private var draining = false
    private var nextID = 0

    init(_ writer: any DatabaseWriter) { self.writer = writer }

    func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let id = nextID
        nextID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                queued.append(Queued(id: id, run: { db in
                    let result = try operation(db)
                    return { continuation.resume(returning: result) }
                }, fail: { continuation.resume(throwing: $0) }))
                // Its own task: a caller's cancellation must not interrupt the others' transaction.
                if !draining { draining = true; Task { await drain() } }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: Int) {
        guard let index = queued.firstIndex(where: { $0.id == id }) else { return }
        queued.remove(at: index).fail(CancellationError())
    }

    private func drain() async {
        while !queued.isEmpty {
            let batch = queued
            queued = []
            do {
                let answers = try await writer.writeWithoutTransaction { db in try Self.commit(batch, db) }
                for answer in answers { answer() }
            } catch {
                for op in batch { op.fail(error) }
            }
        }
        draining = false
    }

    /// A batch of one needs no savepoint: if it throws, its transaction rolls back.
    private static func commit(_ batch: [Queued], _ db: Database) throws -> [@Sendable () -> Void] {
        try db.inCachedTransaction {
            if batch.count == 1 { return [try batch[0].run(db)] }
            return batch.map { op in
                do { return try db.inCachedSavepoint { try op.run(db) } } catch { return { op.fail(error) } }
            }
        }
    }
}
