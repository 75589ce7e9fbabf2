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
/// A write nobody waits for (`writeLater`: what a create or a poll saw, which the next run
/// can ask the API for again) waits for the next transaction, or at most `laterWindow`: a
/// thousand creates answered one by one were each a transaction of one row before.
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

    static let laterWindow: Duration = .milliseconds(50)

    /// Weak: the journal owns the database, and closes it when it goes (a rerun or a test
    /// opens the file next). No awaited write can be queued by then (each holds the journal);
    /// writes nobody waits for still queued are written by `close`.
    private weak var writer: (any DatabaseWriter)?
    private let condition = NSCondition()
    private var queued: [Queued] = []
    private var nextID = 0
    private var stopped = false
    /// The thread is writing a batch it took; `close` waits for it.
    private var writing = false
    private weak var thread: Thread?
    /// Awaited operations queued: while there are none, the batch waits for `laterWindow`.
    private var awaitedQueued = 0
    private var oldestLater: ContinuousClock.Instant?
    /// The first failure of a write nobody waited for, until `flush` reports it.
    private var laterFailure: (any Error)?

    init(_ writer: any DatabaseWriter) {
        self.writer = writer
        // The thread holds this object (not the database) until `close`, then ends once the
        // queue is empty.
        let thread = Thread { [self] in
            Thread.current.name = "klip-journal"  // named from inside: on Linux only that reaches the OS
            loop()
        }
        self.thread = thread
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
                    awaitedQueued += 1
                    condition.broadcast()
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Queues a write nobody waits for. Reads through this queue see it at once (they come
    /// after it); it is durable once a later `write` or `flush` returns.
    func writeLater(_ operation: @escaping @Sendable (Database) throws -> Void) {
        let op = Queued(id: -1, run: { db in
            try operation(db)
            return {}
        }, fail: { [weak self] error in self?.keep(error) })
        let refused = condition.withLock { () -> Bool in
            if stopped { return true }
            queued.append(op)
            if oldestLater == nil {
                oldestLater = .now
                condition.broadcast()
            }
            return false
        }
        if refused { keep(Self.closed) }
    }

    /// Returns once everything queued before it is committed; throws the first failure of a
    /// `writeLater` since the last flush.
    func flush() async throws {
        try await write { _ in }
        if let failure = condition.withLock({ () -> (any Error)? in
            defer { laterFailure = nil }
            return laterFailure
        }) { throw failure }
    }

    private func keep(_ error: any Error) {
        condition.withLock { laterFailure = laterFailure ?? error }
    }

    /// Ends the thread, and writes on the caller's thread what it had not taken, after the
    /// batch it is writing, if any: the journal is closing (and closing SQLite in WAL mode
    /// writes anyway), a write nobody waited for must not be lost with it, and once this
    /// returns, everything queued is committed (a rerun may open the file next).
    func close(_ writer: any DatabaseWriter) {
        let onThread = Thread.current === thread
        let left = condition.withLock { () -> [Queued] in
            stopped = true
            condition.broadcast()
            // One transaction at most; not on the thread itself (its batch let go of the journal).
            while writing && !onThread { condition.wait() }
            return takeQueue()
        }
        if !left.isEmpty { Self.write(left, with: writer) }
    }

    private static let closed = DatabaseError(resultCode: .SQLITE_MISUSE, message: "the journal is closed")

    private func cancel(_ id: Int) {
        let removed = condition.withLock { () -> Queued? in
            guard let index = queued.firstIndex(where: { $0.id == id }) else { return nil }
            awaitedQueued -= 1
            return queued.remove(at: index)
        }
        removed?.fail(CancellationError())
    }

    private func loop() {
        while let batch = next() {
            Self.write(batch, with: writer)
            condition.withLock {
                writing = false
                condition.broadcast()
            }
        }
    }

    /// Everything queued, once a caller waits for some of it or the oldest write nobody
    /// waits for has waited `laterWindow`; nil once stopped and empty.
    private func next() -> [Queued]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if queued.isEmpty {
                if stopped { return nil }
                condition.wait()
                continue
            }
            guard awaitedQueued == 0, !stopped, let oldest = oldestLater else { break }
            let left = oldest + Self.laterWindow - .now
            if left <= .zero { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: left / .seconds(1)))
        }
        writing = true
        return takeQueue()
    }

    /// Everything queued, leaving the queue empty; with the lock held.
    private func takeQueue() -> [Queued] {
        defer {
            queued = []
            awaitedQueued = 0
            oldestLater = nil
        }
        return queued
    }

    /// Commits the batch and answers each caller, or fails them all if it cannot be written.
    private static func write(_ batch: [Queued], with writer: (any DatabaseWriter)?) {
        let answers: [@Sendable () -> Void]
        do {
            guard let writer else { throw closed }
            answers = try writer.writeWithoutTransaction { db in try commit(batch, db) }
        } catch {
            answers = batch.map { op in { op.fail(error) } }
        }
        for answer in answers { answer() }
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
