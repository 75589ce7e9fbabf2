import Foundation
@testable import KlingAPI
import Testing

actor StatusLog {
    var statuses: [String] = []
    func add(_ s: String) { statuses.append(s) }
}

@Suite struct WaitTests {
    @Test func waitReportsEachStatusChangeOnceAndReturnsTheResult() async throws {
        let sequence = ["submitted", "processing", "processing", "succeed"]
        let server = try await ScriptedServer { _, n in ScriptedServer.ok(taskJSON(sequence[min(n - 1, 3)])) }
        let log = StatusLog()
        let task = try await client(for: server).wait(taskID: "842250903629086785", firstPoll: .milliseconds(50)) {
            await log.add($0.taskStatus.rawValue)
        }
        #expect(task.taskStatus == .succeed)
        #expect(task.taskResult?.videos.first?.duration == "5.2")
        #expect(await log.statuses == ["submitted", "processing", "succeed"])
        #expect(await server.received.count == 4)
        await server.stop()
    }

    @Test func aFailedTaskRaisesWithItsMessage() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.ok(taskJSON("failed", msg: "no face in the inserted range")) }
        do {
            _ = try await client(for: server).wait(taskID: "842250903629086785", firstPoll: .milliseconds(10))
            Issue.record("no error")
        } catch {
            #expect(error.kind == .failed)
            #expect(error.message == "no face in the inserted range")
            #expect(error.taskID == "842250903629086785")
        }
        await server.stop()
    }

    /// The server answers `processing` forever, so only the timeout ends this wait; a broken
    /// timeout fails the time limit instead of hanging the suite.
    @Test(.timeLimit(.minutes(5))) func waitTimesOut() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.ok(taskJSON("processing")) }
        await #expect { try await client(for: server).wait(taskID: "9", timeout: .milliseconds(400), firstPoll: .milliseconds(50)) } throws: {
            ($0 as? KlingError)?.kind == .timeout
        }
        await server.stop()
    }

    @Test func waitIsCancellable() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.ok(taskJSON("processing")) }
        let c = client(for: server)
        let waiting = Task { try await c.wait(taskID: "9", firstPoll: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(200))
        waiting.cancel()
        let result = await waiting.result
        #expect(throws: KlingError.self) { try result.get() }
        if case let .failure(error as KlingError) = result { #expect(error.kind == .cancelled) }
        await server.stop()
    }

    @Test func transientQueryFailuresDoNotEndAWait() async throws {
        let server = try await ScriptedServer { _, n in
            n <= 2 ? ScriptedServer.error(.serviceUnavailable, 5001) : ScriptedServer.ok(taskJSON("succeed"))
        }
        let policy = RetryPolicy(maxAttempts: 1, minimumDelay: .milliseconds(10), baseDelay: .milliseconds(10), maximumDelay: .milliseconds(10))
        let task = try await client(for: server, retry: policy).wait(taskID: "9", firstPoll: .milliseconds(20))
        #expect(task.taskStatus == .succeed)
        await server.stop()
    }

    /// A task this client created longer ago than the first interval is asked at once, so a
    /// wait shorter than that interval still sees it finished; a task of unknown age is not.
    @Test func aTaskCreatedAWhileAgoIsPolledAtOnce() async throws {
        let server = try await ScriptedServer { request, _ in
            ScriptedServer.ok(taskJSON(request.method == "POST" ? "submitted" : "succeed"))
        }
        let c = client(for: server)
        let created = try await c.createLipSync(LipSyncRequest(sessionID: "s", faceChoose: [FaceChoose(
            faceID: "0", soundFile: "https://example.com/voice.mp3", soundStartTime: 0, soundEndTime: 3000, soundInsertTime: 0)]))
        // Born two minutes ago, without sleeping: a first poll a minute out would come after
        // the wait's 30 s timeout, so only the task's age can let this wait succeed, and no
        // load makes one GET on loopback take 30 s.
        c.births.record(created.taskID, at: .now - .seconds(120))
        let task = try await c.wait(taskID: created.taskID, timeout: .seconds(30), firstPoll: .seconds(60))
        #expect(task.taskStatus == .succeed)
        #expect(await server.received.count == 2)
        await #expect { try await c.wait(taskID: "not-created-here", timeout: .seconds(1), firstPoll: .seconds(60)) } throws: {
            ($0 as? KlingError)?.kind == .timeout
        }
        #expect(await server.received.count == 2)
        await server.stop()
    }

    @Test func theFirstPollIsShortenedByTheTasksAgeAndThenTheScheduleGoesOn() {
        let schedule = PollSchedule(firstPoll: .seconds(1))
        #expect(schedule.firstDelay(taskAge: .zero) == .seconds(1))
        #expect(schedule.firstDelay(taskAge: .milliseconds(300)) == .milliseconds(700))
        #expect(schedule.firstDelay(taskAge: .seconds(12)) == .zero)
    }

    @Test func pollScheduleBacksOffToAtMostOneQueryPer10sForOldTasks() {
        let schedule = PollSchedule(firstPoll: .seconds(1))
        var d = schedule.firstPoll
        var young: [Duration] = []
        for _ in 0..<10 { d = schedule.next(after: d, taskAge: .seconds(5)); young.append(d) }
        #expect(young.first! > .seconds(1))
        #expect(young.allSatisfy { $0 <= .seconds(5) })
        for _ in 0..<10 { d = schedule.next(after: d, taskAge: .seconds(120)) }
        #expect(d == .seconds(10))
    }
}
