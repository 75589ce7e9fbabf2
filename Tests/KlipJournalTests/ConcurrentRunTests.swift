import Foundation
import GRDB
import KlingAPI
@testable import KlipJournal
import Testing

/// Issue 9: two runs of one batch sharing a state folder and an emulator, and a journal
/// file that is not a journal.
@Suite(.serialized) struct ConcurrentRunTests {
    @Test func twoRunsIdentifyingTheSameVideoMakeEachTaskOnce() async throws {
        let f = try await Fixture.start()
        // Two processes: two Journal connections to one file.
        let path = f.dir.appendingPathComponent("journal.sqlite").path
        let runA = JournaledClient(client: f.client, journal: f.journal, fresh: true)
        let runB = JournaledClient(client: f.client, journal: try Journal(path: path, backend: "local:test"), fresh: true)
        // The race that broke it: both identify (fresh: each gets its own session) before
        // either creates, so the second session is recorded over the first's video.
        let sessionA = try await runA.identifyFace(video: oneFace)
        let sessionB = try await runB.identifyFace(video: oneFace)
        #expect(sessionA.sessionID != sessionB.sessionID)
        let (requestA, facts) = try await f.request(sessionA)
        let (requestB, _) = try await f.request(sessionB)
        #expect(try await f.journal.videoKey(sessionID: sessionA.sessionID) == Fingerprint.videoKey(oneFace))
        #expect(try await f.journal.videoKey(sessionID: sessionB.sessionID) == Fingerprint.videoKey(oneFace))

        let plain = JournaledClient(client: f.client, journal: f.journal)
        let plainB = JournaledClient(client: f.client, journal: runB.journal)
        async let a = plain.createLipSync(requestA, audio: facts)
        async let b = plainB.createLipSync(requestB, audio: facts)
        let (taskA, originA) = try await a, (taskB, originB) = try await b
        #expect(taskA.taskID == taskB.taskID, "\(originA) \(originB)")
        #expect(taskA.externalTaskID == taskB.externalTaskID)
        #expect(try await f.tasksOnTheEmulator().count == 1)
        #expect(try await f.journal.list().count == 1)
        await f.emulator.stop()
    }

    /// Two connections to one journal (two runs), each grouping its writes, creating the same
    /// twenty requests at once: the server makes each task once.
    @Test func twoRunsCreatingTheSameRequestsAtOnceMakeEachTaskOnce() async throws {
        let f = try await Fixture.start()
        let path = f.dir.appendingPathComponent("journal.sqlite").path
        let runA = f.journaled()
        let runB = JournaledClient(client: f.client, journal: try Journal(path: path, backend: "local:test"))
        let session = try await runA.identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let requests = (0..<20).map { i in
            var r = request
            r.faceChoose[0].soundInsertTime = i * 100
            return r
        }
        let taskIDs = try await withThrowingTaskGroup(of: [String: String].self) { group in
            for run in [runA, runB] {
                for r in requests {
                    group.addTask {
                        let (task, _) = try await run.createLipSync(r, audio: facts)
                        return ["\(r.faceChoose[0].soundInsertTime)": task.taskID]
                    }
                }
            }
            var byRequest: [String: Set<String>] = [:]
            for try await pair in group { for (k, v) in pair { byRequest[k, default: []].insert(v) } }
            return byRequest
        }
        #expect(taskIDs.count == 20)
        #expect(taskIDs.values.allSatisfy { $0.count == 1 }, "\(taskIDs)")
        #expect(try await f.tasksOnTheEmulator().count == 20)
        #expect(try await f.journal.list().count == 20)
        await f.emulator.stop()
    }

    @Test func aTruncatedJournalIsReportedNamingTheFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("journal.sqlite").path
        _ = try Journal(path: path, backend: "local:test")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(1500).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try Journal(path: path, backend: "local:test")
        } throws: { error in
            guard let error = error as? JournalError else { return false }
            return error.path == path && error.description.contains(path) && error.description.contains("--no-journal")
        }
        // Not SQLite at all.
        try Data("not a database, just text that is long enough to hold a header".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: JournalError.self) { _ = try Journal(path: path, backend: "local:test") }
    }

    @Test func aVersionOneJournalKeepsItsSessions() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("journal.sqlite").path
        // A journal written by the first schema, with one session in it.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE session (backend TEXT NOT NULL, videoKey TEXT NOT NULL, sessionID TEXT NOT NULL,
                    resultJSON TEXT NOT NULL, createdAt INTEGER NOT NULL, validUntil INTEGER NOT NULL,
                    PRIMARY KEY (backend, videoKey));
                CREATE TABLE lipsync (backend TEXT NOT NULL, fingerprint TEXT NOT NULL, attempt INTEGER NOT NULL,
                    externalTaskID TEXT NOT NULL, taskID TEXT, status TEXT NOT NULL, statusMsg TEXT, taskJSON TEXT,
                    downloadedPath TEXT, summary TEXT NOT NULL, createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL,
                    PRIMARY KEY (backend, fingerprint));
                INSERT INTO session VALUES ('local:test', 'sha256:abc', 's1', '{"session_id":"s1","face_data":[]}', 1, 9999999999999);
                """)
        }
        try old.close()
        let journal = try Journal(path: path, backend: "local:test")
        #expect(try await journal.videoKey(sessionID: "s1") == "sha256:abc")
        #expect(try await journal.session(videoKey: "sha256:abc")?.sessionID == "s1")
    }
}
