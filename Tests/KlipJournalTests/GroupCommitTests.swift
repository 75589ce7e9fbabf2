import Foundation
import GRDB
import KlingAPI
@testable import KlipJournal
import Testing

/// Writes from concurrent callers share transactions; each caller still gets its own
/// result, after the commit, and one that fails fails alone.
@Suite struct GroupCommitTests {
    static func journal() throws -> Journal {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-\(UUID().uuidString)")
        return try Journal(path: dir.appendingPathComponent("journal.sqlite").path, backend: "local:test")
    }

    /// Counts the transactions that commit.
    final class Commits: TransactionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { lock.withLock { count += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    @Test func fiveHundredConcurrentWritersAllCommitAndEachSeesItsOwn() async throws {
        let journal = try Self.journal()
        let commits = Commits()
        try await journal.db.write { db in db.add(transactionObserver: commits, extent: .databaseLifetime) }
        let before = commits.value
        let n = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<n {
                group.addTask {
                    let began = try await journal.begin(fingerprint: "fp\(i)", externalTaskID: "ext\(i)", attempt: 1, summary: "s\(i)")
                    #expect(began.fingerprint == "fp\(i)" && began.externalTaskID == "ext\(i)")
                    try journal.record(LipSyncTask(taskID: "task\(i)", taskStatus: .submitted), fingerprint: "fp\(i)")
                    // A read through the journal comes after the record: the entry is there, with this caller's task.
                    let entry = try #require(try await journal.entry(fingerprint: "fp\(i)"))
                    #expect(entry.taskID == "task\(i)" && entry.status == "submitted" && entry.summary == "s\(i)")
                }
            }
            try await group.waitForAll()
        }
        let rows = try await journal.db.read { db in try JournalEntry.fetchAll(db) }
        #expect(rows.count == n)
        #expect(Set(rows.compactMap(\.taskID)) == Set((0..<n).map { "task\($0)" }))
        // 1,000 writes (begin, record) shared transactions.
        #expect(commits.value - before < 2 * n, "\(commits.value - before) transactions for \(2 * n) writes")
    }

    /// A write nobody waits for is seen by the next read through the journal at once, shares
    /// a transaction with the others, is durable after `flush`, and its failure is reported
    /// by the next `flush` alone.
    @Test func writesNobodyWaitsForAreSeenGroupedAndFlushed() async throws {
        let journal = try Self.journal()
        let commits = Commits()
        try await journal.db.write { db in db.add(transactionObserver: commits, extent: .databaseLifetime) }
        let before = commits.value
        for i in 0..<100 { journal.commits.writeLater { db in try Self.insertPending(db, "later\(i)") } }
        #expect(try await journal.entry(fingerprint: "later99") != nil)
        #expect(commits.value - before <= 2, "\(commits.value - before) transactions for 100 writes and a read")
        journal.commits.writeLater { db in try Self.insertPending(db, "later0") }  // taken: fails
        journal.commits.writeLater { db in try Self.insertPending(db, "after") }
        await #expect(throws: DatabaseError.self) { try await journal.flush() }
        try await journal.flush()
        let other = try DatabaseQueue(path: journal.path)  // another connection: committed, not just queued
        #expect(try await other.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM lipsync") } == 101)
    }

    /// A journal let go with writes still queued writes them before it closes.
    @Test func aJournalLetGoWritesWhatWasQueued() async throws {
        var journal: Journal? = try Self.journal()
        let path = journal!.path
        _ = try await journal!.begin(fingerprint: "fp", externalTaskID: "ext", attempt: 1, summary: "s")
        try journal!.record(LipSyncTask(taskID: "t1", taskStatus: .submitted), fingerprint: "fp")
        journal = nil
        let reopened = try Journal(path: path, backend: "local:test")
        #expect(try await reopened.entry(fingerprint: "fp")?.taskID == "t1")
    }

    struct Refused: Error {}

    /// A plain INSERT: a fingerprint already there is a constraint error, not an update.
    static func insertPending(_ db: Database, _ fingerprint: String) throws {
        try db.execute(sql: """
            INSERT INTO lipsync (backend, fingerprint, attempt, externalTaskID, status, summary, createdAt, updatedAt)
            VALUES ('local:test', ?, 1, 'ext', 'pending', 's', 0, 0)
            """, arguments: [fingerprint])
    }

    @Test func anOperationThatThrowsFailsOnlyItsCallerAndLeavesNothing() async throws {
        let journal = try Self.journal()
        _ = try await journal.begin(fingerprint: "taken", externalTaskID: "ext", attempt: 1, summary: "first")
        let outcomes = await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        try await journal.commits.write { db in
                            try Self.insertPending(db, i == 70 ? "taken" : "fp\(i)")  // 70: the primary key is taken
                            if i == 50 { throw Refused() }  // 50: after its insert
                        }
                        return (i, .success(()))
                    } catch { return (i, .failure(error)) }
                }
            }
            var all: [Int: Result<Void, any Error>] = [:]
            for await (i, outcome) in group { all[i] = outcome }
            return all
        }
        for (i, outcome) in outcomes {
            switch (i, outcome) {
            case (50, .failure(let error)): #expect(error is Refused)
            case (70, .failure(let error)): #expect((error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT)
            case (50, .success), (70, .success): Issue.record("write \(i) should have failed")
            case (_, .failure(let error)): Issue.record("write \(i) failed: \(error)")
            case (_, .success): break
            }
        }
        let fingerprints = Set(try await journal.db.read { db in try String.fetchAll(db, sql: "SELECT fingerprint FROM lipsync") })
        #expect(fingerprints.count == 199)  // 198 written and the first; not 50's (rolled back) nor 70's
        #expect(!fingerprints.contains("fp50") && !fingerprints.contains("fp70") && fingerprints.contains("fp199"))
        #expect(try await journal.entry(fingerprint: "taken")?.summary == "first")
    }

    @Test func anOperationAloneThatThrowsLeavesNothing() async throws {
        let journal = try Self.journal()
        await #expect(throws: Refused.self) {
            try await journal.commits.write { db in
                try Self.insertPending(db, "alone")
                throw Refused()
            }
        }
        #expect(try await journal.entry(fingerprint: "alone") == nil)
        try await journal.commits.write { db in try Self.insertPending(db, "next") }
        #expect(try await journal.entry(fingerprint: "next") != nil)
    }

    @Test func aCallerCancelledBeforeItsTurnWritesNothing() async throws {
        let journal = try Self.journal()
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await journal.begin(fingerprint: "fp", externalTaskID: "ext", attempt: 1, summary: "s")
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(try await journal.entry(fingerprint: "fp") == nil)
        // The queue still works for the next caller.
        _ = try await journal.begin(fingerprint: "fp2", externalTaskID: "ext2", attempt: 1, summary: "s")
        #expect(try await journal.entry(fingerprint: "fp2")?.externalTaskID == "ext2")
    }
}
