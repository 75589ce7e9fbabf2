import Foundation
import GRDB

/// Writes from concurrent callers share one transaction, run on a thread of the journal's
/// own. A thousand tasks made five transactions each, and every commit's locks and WAL pages
/// cost more than its rows; now what queues while one transaction runs goes in the next.
///
/// The thread, not GRDB's async writes: each of those hopped to a dispatch queue and back,
/// and the wake-ups cost about as much as the SQL (JournalBench, 1,000 tasks' entries at 200
/// a second: 0.73-0.83 s of CPU that way, 0.51-0.55 s written from the caller's thread).
/// Writing from the caller's thread would park a thread of the cooperative pool on SQLite's
/// file I/O and on its busy timeout (another run holding the journal waits up to 10 s), so
/// the SQL runs here, and a caller waits for its answer as a suspended task.
///
/// A batch runs in one transaction; if an operation throws, it is rolled back and each
/// operation runs again in a transaction of its own, so one that throws fails only its
/// caller (operations only touch the database until they answer, so running one again is
/// safe). Every caller resumes only after the commit: "written before the create is sent"
/// holds exactly. A caller cancelled while queued leaves the queue; once its transaction has
/// begun, it gets what was committed.
final class GroupCommit: @unchecked Sendable {
    private struct Queued: Sendable {
        let id: Int
        /// Runs the operation; what it returns answers the caller after the commit.
        let run: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// Weak: the journal owns the database, and closes it when it goes (a rerun or a test
    /// opens the file next); no write can be queued by then, since each holds the journal.
    private weak var writer: (any DatabaseWriter)?
    private let condition = NSCondition()
    private var queued: [Queued] = []
    private var nextID = 0
    private var stopped = false

    init(_ writer: any DatabaseWriter) {
        self.writer = writer
        // The thread holds this object (not the database) until `stop`, then ends once the
        // queue is empty.
        let thread = Thread { [self] in loop() }
        thread.name = "klip-journal"
        thread.start()
    }

    func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let id = condition.withLock { () -> Int in
            defer { nextID += 1 }
            return nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let op = Queued(id: id, run: { db in
                    let result = try operation(db)
                    return { continuation.resume(returning: result) }
                }, fail: { continuation.resume(throwing: $0) })
                // Checked under the lock the cancellation handler takes: a cancel either
                // finds the operation queued or is seen here.
                let refusal: (any Error)? = condition.withLock {
                    if Task.isCancelled { return CancellationError() }
                    if stopped { return Self.closed }
                    queued.append(op)
                    condition.signal()
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Lets the thread end once what is queued is written.
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private static let closed = DatabaseError(resultCode: .SQLITE_MISUSE, message: "the journal is closed")

    private func cancel(_ id: Int) {
        let removed = condition.withLock { () -> Queued? in
            guard let index = queued.firstIndex(where: { $0.id == id }) else { return nil }
            return queued.remove(at: index)
        }
        removed?.fail(CancellationError())
    }

    private func loop() {
        while let batch = next() {
            let answers: [@Sendable () -> Void]
            do {
                guard let writer else { throw Self.closed }
                answers = try writer.writeWithoutTransaction { db in try Self.commit(batch, db) }
            } catch {
                answers = batch.map { op in { op.fail(error) } }
            }
            for answer in answers { answer() }
        }
    }

    /// Everything queued, once there is something; nil once stopped and empty.
    private func next() -> [Queued]? {
        condition.lock()
        defer { condition.unlock() }
        while queued.isEmpty && !stopped { condition.wait() }
        if queued.isEmpty { return nil }
        defer { queued = [] }
        return queued
    }

    private static func commit(_ batch: [Queued], _ db: Database) throws -> [@Sendable () -> Void] {
        do {
            return try db.inCachedTransaction { try batch.map { try $0.run(db) } }
        } catch where batch.count > 1 {
            return batch.map { op in
                do { return try db.inCachedTransaction { try op.run(db) } } catch { return { op.fail(error) } }
            }
        }
    }
}
