import AsyncHTTPClient
import Foundation
import KlingAPI
import KlipCallbacks
import KlipServer
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
        // The first poll is a minute away and the timeout is 20 s: only callbacks can end this wait.
        let done = try await client.wait(taskID: task.taskID, timeout: .seconds(20), firstPoll: .seconds(60))
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
        let woken = Task { try await signals.sleep(taskID: "a", for: .seconds(3600)); return "a" }
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
    }
}
