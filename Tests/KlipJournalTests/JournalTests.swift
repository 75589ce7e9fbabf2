import Foundation
import KlingAPI
import KlipJournal
import KlipServer
import Logging
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let oneFace = repoRoot.appendingPathComponent("media/one-face.mp4").path
let speech = repoRoot.appendingPathComponent("media/speech.wav").path

/// A real emulator (rendering off: tasks succeed with the input video) and a journal, both
/// in a temp directory.
struct Fixture {
    let dir: URL
    let emulator: RunningEmulator
    let client: KlingClient
    let journal: Journal

    static func start(stateDir: URL? = nil) async throws -> Fixture {
        let dir = stateDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = EmulatorConfiguration(stateDirectory: dir.appendingPathComponent("emulator").path, maxParallel: 8)
        config.mediaRoots = [repoRoot.appendingPathComponent("media").path]
        config.renderMode = .none
        var logger = Logger(label: "klip.test.journal")
        logger.logLevel = .critical
        let emulator = try await Emulator.start(config, logger: logger)
        let client = KlingClient(configuration: KlingConfiguration(baseURL: emulator.baseURL, credentials: .none, isLocal: true))
        let journal = try Journal(path: dir.appendingPathComponent("journal.sqlite").path, backend: "local:test")
        return Fixture(dir: dir, emulator: emulator, client: client, journal: journal)
    }

    func journaled(fresh: Bool = false) -> JournaledClient { JournaledClient(client: client, journal: journal, fresh: fresh) }

    func request(_ session: IdentifyFaceResult, insert: Int = 1000) async throws -> (LipSyncRequest, AudioFacts?) {
        let sound = try await PreparedSound.prepare(speech)
        let request = LipSyncRequest(sessionID: session.sessionID, faceChoose: [FaceChoose(
            faceID: session.faceData[0].faceID, soundFile: sound.soundFile,
            soundStartTime: 0, soundEndTime: 3000, soundInsertTime: insert)])
        return (request, sound.facts)
    }

    func tasksOnTheEmulator() async throws -> [LipSyncTask] { try await client.listTasks(page: 1, size: 500) }
}

@Suite(.serialized) struct JournalTests {
    @Test func identifyIsReusedWhileTheSessionIsValidAndFreshIdentifiesAgain() async throws {
        let f = try await Fixture.start()
        let first = try await f.journaled().identifyFace(video: oneFace)
        let second = try await f.journaled().identifyFace(video: oneFace)
        #expect(second.sessionID == first.sessionID)
        let fresh = try await f.journaled(fresh: true).identifyFace(video: oneFace)
        #expect(fresh.sessionID != first.sessionID)
        await f.emulator.stop()
    }

    @Test func theSameRequestTwiceIsOneTask() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let (task, origin) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(origin == .created)
        #expect(task.externalTaskID?.hasPrefix("klip-") == true)
        let (again, originAgain) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(originAgain == .recorded)
        #expect(again.taskID == task.taskID)
        #expect(try await f.tasksOnTheEmulator().count == 1)

        // A different insert time is different work.
        let (other, _) = try await f.request(session, insert: 2000)
        let (otherTask, otherOrigin) = try await f.journaled().createLipSync(other, audio: facts)
        #expect(otherOrigin == .created)
        #expect(otherTask.taskID != task.taskID)
        #expect(try await f.tasksOnTheEmulator().count == 2)
        await f.emulator.stop()
    }

    @Test func aCreateWhoseAnswerWasLostIsFoundByItsExternalID() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        var (request, facts) = try await f.request(session)
        // What a run does before it crashes: journal written, request sent, answer never recorded.
        let fingerprint = Fingerprint.lipSync(request, videoKey: try Fingerprint.videoKey(oneFace))
        let external = "klip-" + fingerprint.prefix(24)
        _ = try await f.journal.begin(fingerprint: fingerprint, externalTaskID: external, attempt: 1, summary: "crash test")
        request.externalTaskID = external
        let paid = try await f.client.createLipSync(request, audio: facts)
        request.externalTaskID = nil

        let (task, origin) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(origin == .recovered)
        #expect(task.taskID == paid.taskID)
        #expect(try await f.tasksOnTheEmulator().count == 1)
        await f.emulator.stop()
    }

    @Test func aRunWhoseJournalIsGoneAdoptsTheTaskItsRequestAlreadyMade() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let (task, _) = try await f.journaled().createLipSync(request, audio: facts)
        // Another machine (another journal), same account, same request.
        let other = try Journal(path: f.dir.appendingPathComponent("other.sqlite").path, backend: "local:test")
        let elsewhere = JournaledClient(client: f.client, journal: other)
        let (sameRequest, sameFacts) = try await f.request(try await elsewhere.identifyFace(video: oneFace))
        let (again, origin) = try await elsewhere.createLipSync(sameRequest, audio: sameFacts)
        #expect(origin == .recovered)
        #expect(again.taskID == task.taskID)
        #expect(try await f.tasksOnTheEmulator().count == 1)
        await f.emulator.stop()
    }

    @Test func aCreateThatNeverArrivedIsSentOnTheNextRun() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let fingerprint = Fingerprint.lipSync(request, videoKey: try Fingerprint.videoKey(oneFace))
        _ = try await f.journal.begin(fingerprint: fingerprint, externalTaskID: "klip-" + fingerprint.prefix(24), attempt: 1, summary: "crash before send")
        let (_, origin) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(origin == .created)
        #expect(try await f.tasksOnTheEmulator().count == 1)
        await f.emulator.stop()
    }

    @Test func aRecordedResultNeedsNoServerAndDownloadsAreNotRepeated() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let (task, _) = try await f.journaled().createLipSync(request, audio: facts)
        let done = try await f.journaled().wait(taskID: task.taskID, firstPoll: .milliseconds(100))
        #expect(done.taskStatus == .succeed)
        let url = try #require(done.taskResult?.videos.first?.url)
        let out = f.dir.appendingPathComponent("out.mp4").path
        let bytes = try await f.journaled().download(url, to: out, taskID: task.taskID)
        #expect(bytes > 0)

        await f.emulator.stop()
        // The server is gone: everything below comes from the journal.
        let again = try await f.journaled().wait(taskID: task.taskID)
        #expect(again == done)
        #expect(try await f.journaled().download(url, to: out, taskID: task.taskID) == bytes)
        let (recorded, origin) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(origin == .recorded)
        #expect(recorded.taskStatus == .succeed)
        let entry = try #require(try await f.journal.find(task.taskID))
        #expect(entry.downloadedPath == out)
    }

    /// A wait on a task this journal just recorded as submitted skips the look-up (it cannot
    /// answer); once the task has ended, the journal answers again with no server.
    @Test func aTaskCreatedHereIsKnownUnfinishedUntilItEnds() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let (task, _) = try await f.journaled().createLipSync(request, audio: facts)
        #expect(f.journal.recordedUnfinished(taskID: task.taskID))
        let done = try await f.journaled().wait(taskID: task.taskID, firstPoll: .milliseconds(100))
        #expect(done.taskStatus == .succeed)
        #expect(!f.journal.recordedUnfinished(taskID: task.taskID))
        await f.emulator.stop()
        #expect(try await f.journaled().wait(taskID: task.taskID, timeout: .seconds(5)) == done)
    }

    @Test func freshCreatesANewTaskWithANewExternalIDAndPruneKeepsPending() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        let (request, facts) = try await f.request(session)
        let (first, _) = try await f.journaled().createLipSync(request, audio: facts)
        let (second, origin) = try await f.journaled(fresh: true).createLipSync(request, audio: facts)
        #expect(origin == .created)
        #expect(second.taskID != first.taskID)
        #expect(second.externalTaskID != first.externalTaskID)
        #expect(try await f.tasksOnTheEmulator().count == 2)

        _ = try await f.journaled().wait(taskID: second.taskID, firstPoll: .milliseconds(100))
        #expect(try await f.journal.list().count == 1)  // one fingerprint, its latest attempt
        #expect(try await f.journal.prune(before: Int64(Date().timeIntervalSince1970 * 1000) + 1000) == 1)
        #expect(try await f.journal.list().isEmpty)
        await f.emulator.stop()
    }

    @Test func aRefusedCreateLeavesNothingPending() async throws {
        let f = try await Fixture.start()
        let session = try await f.journaled().identifyFace(video: oneFace)
        var (request, facts) = try await f.request(session)
        request.faceChoose[0].faceID = "9"  // not a face of the session
        await #expect(throws: KlingError.self) { try await f.journaled().createLipSync(request, audio: facts) }
        #expect(try await f.journal.list().isEmpty)
        await f.emulator.stop()
    }
}
