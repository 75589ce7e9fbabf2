import AsyncHTTPClient
import Foundation
import KlingAPI
import KlipCallbacks
import KlipTestSupport
@testable import KlipServer
import Logging
import NIOCore
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let secret = "whsec_" + Data("klip-callback-test-secret-32byte".utf8).base64EncodedString()

func quietLogger() -> Logger {
    var logger = Logger(label: "klip.test.callbacks")
    logger.logLevel = .critical
    return logger
}

@Suite struct CallbackTests {
    @Test func aSignedCallbackWakesTheWaitLongBeforeItsNextPoll() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-cb-\(UUID().uuidString)")
        var config = EmulatorConfiguration(stateDirectory: dir.path, maxParallel: 4)
        config.mediaRoots = [repoRoot.appendingPathComponent("media").path]
        config.renderMode = .none
        config.webhookSecret = secret
        let emulator = try await Emulator.start(config, logger: quietLogger())
        let client = KlingClient(configuration: KlingConfiguration(baseURL: emulator.baseURL, credentials: .none, isLocal: true))
        let receiver = try await CallbackReceiver.start(secret: secret, signals: client.signals, logger: quietLogger())

        let session = try await client.identifyFace(video: repoRoot.appendingPathComponent("media/one-face.mp4").path)
        let sound = try await client.prepareSound(repoRoot.appendingPathComponent("media/speech.wav").path)
        let task = try await client.createLipSync(LipSyncRequest(
            sessionID: session.sessionID,
            faceChoose: [FaceChoose(faceID: session.faceData[0].faceID, soundFile: sound.soundFile,
                                    soundStartTime: 0, soundEndTime: 3000, soundInsertTime: 500)],
            callbackURL: receiver.url.absoluteString), audio: sound.facts)
        // The first poll is ten minutes away and the timeout two: only callbacks can end this
        // wait. The timeout is generous because a loaded CI machine once took over 20 s.
        let done = try await client.wait(taskID: task.taskID, timeout: .seconds(120), firstPoll: .seconds(600))
        #expect(done.taskStatus == .succeed)
        let counts = await receiver.counts()
        #expect(counts.accepted >= 1)
        #expect(counts.rejected == 0)
        await receiver.stop()
        await emulator.stop()
    }

    @Test func forgedAndStaleDeliveriesAreRejected() async throws {
        let signals = TaskSignals()
        let receiver = try await CallbackReceiver.start(secret: secret, signals: signals, logger: quietLogger())
        let body = Data(#"{"task_id":"42","task_status":"succeed"}"#.utf8)
        func post(_ headers: [(String, String)]) async throws -> UInt {
            var request = HTTPClientRequest(url: receiver.url.absoluteString)
            request.method = .POST
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            return try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code
        }
        let signer = try #require(WebhookSigner(secret: secret))
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try await post([]) == 401)
        #expect(try await post([("webhook-id", "m1"), ("webhook-timestamp", "\(now)"), ("webhook-signature", "v1,AAAA")]) == 401)
        let stale = now - 600
        #expect(try await post(signer.headers(id: "m2", timestamp: stale, body: body)) == 401)
        #expect(try await post(signer.headers(id: "m3", timestamp: now, body: body)) == 200)
        #expect(try await post(signer.headers(id: "m3", timestamp: now, body: body)) == 200, "redelivery is fine")
        let counts = await receiver.counts()
        #expect(counts.rejected == 3)
        #expect(counts.accepted == 2)
        await receiver.stop()
    }

    @Test func signalsWakeOnlyTheirTaskAndHonourCancellation() async throws {
        let signals = TaskSignals()
        // Before anything listens, signals wake nobody: the sleep is a plain one.
        let unheard = Task { try await signals.sleep(taskID: "a", for: .milliseconds(300)) }
        let early = Task {
            while !Task.isCancelled {
                await signals.notify(taskID: "a")
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(try await unheard.value == false)
        early.cancel()
        signals.listen()
        let woken = Task { try await signals.sleep(taskID: "a", for: .seconds(3600)) ? "a" : "slept" }
        let other = Task { try await signals.sleep(taskID: "b", for: .seconds(3600)); return "b" }
        // Notify until the sleeper has parked (a loaded machine may take a while to start it).
        let notifier = Task {
            while !Task.isCancelled {
                await signals.notify(taskID: "a")
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let started = ContinuousClock.now
        #expect(try await woken.value == "a")
        notifier.cancel()
        // An hour's sleep against a ten-minute bound: no load delays a wake that long.
        #expect(ContinuousClock.now - started < .seconds(600), "woken by the signal, not by its hour-long sleep")
        other.cancel()
        await #expect(throws: CancellationError.self) { try await other.value }
        // Not signalled: the sleep says so (a wait then may use a shared task list).
        #expect(try await signals.sleep(taskID: "c", for: .milliseconds(10)) == false)
    }
}

/// The receiver as Kling's cloud needs it: unsigned deliveries are hints, signed ones are
/// verified, and no delivery — forged, duplicated or out of order — ends a wait by itself.
@Suite struct UnsignedCallbackTests {
    func post(_ url: URL, body: Data, headers: [(String, String)] = []) async throws -> UInt {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code
    }

    @Test func unsignedDeliveriesAreAcceptedAndSignedOnesStillVerified() async throws {
        let receiver = try await CallbackReceiver.start(policy: .unsignedAccepted(secret: secret), signals: TaskSignals(), logger: quietLogger())
        let body = Data(#"{"task_id":"7","task_status":"succeed"}"#.utf8)
        let signer = try #require(WebhookSigner(secret: secret))
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try await post(receiver.url, body: body) == 200, "Kling's own, unsigned")
        #expect(try await post(receiver.url, body: body) == 200, "the same again")
        #expect(try await post(receiver.url, body: body, headers: signer.headers(id: "s1", timestamp: now, body: body)) == 200)
        #expect(try await post(receiver.url, body: body, headers: [("webhook-id", "s2"), ("webhook-timestamp", "\(now)"), ("webhook-signature", "v1,AAAA")]) == 401)
        #expect(try await post(receiver.url, body: body, headers: signer.headers(id: "s3", timestamp: now - 600, body: body)) == 401)
        #expect(try await post(receiver.url, body: Data("not json".utf8)) == 400)
        let counts = await receiver.counts()
        #expect(counts.accepted == 3)
        #expect(counts.rejected == 3)
        await receiver.stop()
    }

    @Test func forgedDuplicateAndOutOfOrderDeliveriesNeverEndAWaitEarly() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-cb-\(UUID().uuidString)")
        let released = Latch()
        var config = EmulatorConfiguration(stateDirectory: dir.path, maxParallel: 2)
        config.mediaRoots = [repoRoot.appendingPathComponent("media").path]
        config.renderMode = .none
        // The task stays `processing` until the test has sent its deliveries.
        config.beforeRender = { _ in await released.wait() }
        let emulator = try await Emulator.start(config, logger: quietLogger())
        let client = KlingClient(configuration: KlingConfiguration(baseURL: emulator.baseURL, credentials: .none, isLocal: true))
        let receiver = try await CallbackReceiver.start(policy: .unsignedAccepted(secret: nil), signals: client.signals, logger: quietLogger())

        let session = try await client.identifyFace(video: repoRoot.appendingPathComponent("media/one-face.mp4").path)
        let sound = try await client.prepareSound(repoRoot.appendingPathComponent("media/speech.wav").path)
        let task = try await client.createLipSync(LipSyncRequest(
            sessionID: session.sessionID,
            faceChoose: [FaceChoose(faceID: session.faceData[0].faceID, soundFile: sound.soundFile,
                                    soundStartTime: 0, soundEndTime: 2000, soundInsertTime: 0)],
            callbackURL: receiver.url.absoluteString), audio: sound.facts)
        let statuses = StatusLog()
        let waiting = Task {
            try await client.wait(taskID: task.taskID, timeout: .seconds(600), firstPoll: .seconds(60),
                                  onStatus: { await statuses.add($0.taskStatus) })
        }
        // Until the wait has seen `processing` by a GET, it has not started to sleep on hints.
        let forged = { (status: String) in Data(#"{"task_id":"\#(task.taskID)","task_status":"\#(status)","task_result":{"videos":[{"id":"x","url":"http://127.0.0.1:1/forged.mp4","duration":"1"}]}}"#.utf8) }
        while await statuses.all.isEmpty {
            #expect(try await post(receiver.url, body: forged("succeed")) == 200)
            await Task.yield()
        }
        // A forged success, a duplicate, then a stale status: each only makes the wait poll.
        for status in ["succeed", "succeed", "submitted", "failed", "succeed"] {
            #expect(try await post(receiver.url, body: forged(status)) == 200)
        }
        #expect(await statuses.all.allSatisfy { $0 == .processing || $0 == .submitted }, "no hint was taken for the status")
        let beforeRelease = await released.isOpen
        #expect(!beforeRelease)
        await released.open()
        let done = try await waiting.value
        #expect(done.taskStatus == .succeed)
        #expect(done.taskResult?.videos.first?.url.contains("forged") == false, "the result is the emulator's, from a GET")
        #expect(await statuses.all.last == .succeed)
        await receiver.stop()
        await emulator.stop()
    }
}

actor StatusLog {
    var all: [TaskStatus] = []
    func add(_ status: TaskStatus) { all.append(status) }
}

