import Foundation
import GRDB
import KlingAPI
@testable import KlipJournal
import KlipTestSupport
import Testing

/// What the journal alone costs `klip run` for 1,000 tasks (scripts/bench-py/compare prints
/// it beside the run's CPU): each task's entries as JournaledClient writes them (looked up
/// and begun before the create, the create's answer, the wait's final status), for 1,000
/// tasks arriving at 200 a second, with no HTTP. Figures only, as this process's CPU. Needs
/// KLIP_JOURNAL_BENCH=1.
@Suite("Journal benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_JOURNAL_BENCH"] != nil))
struct JournalBench {
    static let tasks = Int(ProcessInfo.processInfo.environment["KLIP_FLOOR_TASKS"] ?? "") ?? 1000

    @Test func whatTheJournalCostsAThousandTasks() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(path: dir.appendingPathComponent("journal.sqlite").path, backend: "local:bench")
        let commits = GroupCommitTests.Commits()
        try await journal.db.write { db in db.add(transactionObserver: commits, extent: .databaseLifetime) }
        try await journal.record(session: IdentifyFaceResult(sessionID: "s1", faceData: []), videoKey: "sha256:v", validFor: .seconds(3600))
        let sound = String(repeating: "UklGRiQAAABXQVZF", count: 17_000)  // 272 KB of Base64, one storage for all

        let start = ProcessCPU.seconds()
        let before = commits.value
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<Self.tasks {
                group.addTask {
                    // Arriving as klip run's creates do (about 200 a second), not all at once:
                    // at once they share a few transactions, which no real run sees.
                    try await Task.sleep(for: .milliseconds(5 * i))
                    let request = LipSyncRequest(sessionID: "s1", faceChoose: [FaceChoose(
                        faceID: "0", soundFile: sound, soundStartTime: 0, soundEndTime: 2500, soundInsertTime: i)])
                    // No #expect in here: its machinery would cost more than some of the writes.
                    let (found, _) = try await journal.lookUp(request) { found in
                        JournaledClient.attemptNow(found.entry, fresh: false).map { JournaledClient.pending(request, found, attempt: $0) }
                    }
                    let id = "task\(i)"
                    try journal.record(LipSyncTask(taskID: id, taskStatus: .submitted), fingerprint: found.fingerprint)
                    if !journal.recordedUnfinished(taskID: id) { _ = try await journal.entry(taskID: id) }
                    try journal.record(LipSyncTask(taskID: id, taskStatus: .succeed))
                }
            }
            try await group.waitForAll()
        }
        try await journal.flush()  // as klip run does before it exits
        let cpu = ProcessCPU.seconds() - start
        let rows = try await journal.db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM lipsync WHERE status = 'succeed'") }
        #expect(rows == Self.tasks)
        print(String(format: "journal: %d tasks' entries (look up and begin, created, succeeded), no HTTP: CPU %.2f s, %d transactions",
                     Self.tasks, cpu, commits.value - before))
    }
}
