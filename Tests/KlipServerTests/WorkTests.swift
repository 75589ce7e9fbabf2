import Foundation
import KlingAPI
@testable import KlipServer
import Testing

/// Holds every render until the worker is cancelled (by a stop).
let holdRenders: @Sendable (String) async -> Void = { _ in try? await Task.sleep(for: .seconds(3600)) }

@Suite("Queue, callbacks, restart")
struct WorkTests {
    static let secret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="

    @Test func signedCallbacksOnEveryStatusChange() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let receiver = try await LocalServer()
        do {
            try await withEmulator({ $0.mediaRoots = [root.path]; $0.webhookSecret = Self.secret }) { server in
                let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
                let created = try await server.create(TestEmulator.createBody(
                    session: session, sound: sound,
                    extra: ["callback_url": receiver.base + "/hook?token=abc", "external_task_id": "cb-1"]))
                let taskID = try #require(created.data?["task_id"] as? String, "\(created.message)")
                let done = try await server.waitForTask(taskID)
                #expect(done["task_status"] as? String == "succeed")
                await server.running.drainCallbacks()

                let deliveries = await receiver.deliveries()
                let signer = try #require(WebhookSigner(secret: Self.secret))
                var statuses: [String] = []
                for delivery in deliveries {
                    try signer.verify(id: delivery.headers["webhook-id"], timestamp: delivery.headers["webhook-timestamp"],
                                      signatures: delivery.headers["webhook-signature"], body: delivery.body)
                    let task = try JSONDecoder().decode(LipSyncTask.self, from: delivery.body)
                    let flat = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
                    #expect(flat["code"] == nil && flat["data"] == nil, "callbacks carry the flat task, no envelope")
                    #expect(task.taskID == taskID)
                    #expect(task.externalTaskID == "cb-1")
                    statuses.append(task.taskStatus.rawValue)
                    if task.taskStatus == .succeed {
                        #expect(task.taskResult?.videos.first?.url == "\(server.base)/files/tasks/\(taskID)/output.mp4")
                    }
                }
                #expect(statuses == ["submitted", "processing", "succeed"])
                // A tampered body does not verify.
                if let first = deliveries.first {
                    #expect(throws: WebhookSigner.VerifyError.self) {
                        try signer.verify(id: first.headers["webhook-id"], timestamp: first.headers["webhook-timestamp"],
                                          signatures: first.headers["webhook-signature"], body: first.body + Data(" ".utf8))
                    }
                }
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test func aFailingReceiverNeverBreaksTheTask() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let receiver = try await LocalServer(failing: true)
        do {
            try await withEmulator({ $0.mediaRoots = [root.path]; $0.renderMode = .none }) { server in
                let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
                let unreachable = try await server.create(TestEmulator.createBody(
                    session: session, sound: sound, extra: ["callback_url": "http://127.0.0.1:1/hook"]))
                let failing = try await server.create(TestEmulator.createBody(
                    session: session, sound: sound, extra: ["callback_url": receiver.base + "/hook"]))
                for answer in [unreachable, failing] {
                    let id = try #require(answer.data?["task_id"] as? String, "\(answer.message)")
                    let done = try await server.waitForTask(id)
                    #expect(done["task_status"] as? String == "succeed")
                    #expect((done["task_status_msg"] as? String ?? "").contains("render mode none"))
                }
                await server.running.drainCallbacks()
                // 3 status changes, each tried 3 times (first try + 2 retries in tests).
                #expect(await receiver.deliveries().count == 9)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    /// `klip serve --task-seconds`: a task stays processing for the time given, then succeeds.
    @Test func aMinimumTaskDurationHoldsTasksProcessing() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        try await withEmulator({ $0.mediaRoots = [root.path]; $0.renderMode = .none; $0.minimumTaskDuration = .seconds(2) }) { server in
            let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let answer = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            let id = try #require(answer.data?["task_id"] as? String, "\(answer.message)")
            let first = try await call(.GET, server.url("/videos/advanced-lip-sync/\(id)"))
            #expect(["submitted", "processing"].contains(first.data?["task_status"] as? String), "\(first.json)")
            let done = try await server.waitForTask(id)
            #expect(done["task_status"] as? String == "succeed")
            // The server's own clock: created, then updated to succeed at least 2 s later.
            let created = try #require(done["created_at"] as? Int64), updated = try #require(done["updated_at"] as? Int64)
            #expect(updated - created >= 2000, "succeeded \(updated - created) ms after it was created")
        }
    }

    @Test func overMaxParallelIs1303() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        try await withEmulator({ $0.mediaRoots = [root.path]; $0.maxParallel = 1; $0.beforeRender = holdRenders }) { server in
            let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let first = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            #expect(first.code == 0, "\(first.message)")
            let second = try await server.create(TestEmulator.createBody(session: session, sound: sound), prefix: "/kling/v1")
            #expect(second.status == 429)
            #expect(second.code == 1303)
            #expect(!second.hasData)
        }
    }

    @Test func aRestartMidTaskStillCompletes() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let state = try temporaryDirectory()
        let first = try await TestEmulator.start({ $0.mediaRoots = [root.path]; $0.beforeRender = holdRenders }, stateDirectory: state)
        let taskID: String
        let createdAt: Int
        do {
            let (session, _) = try await first.identify(root.appendingPathComponent("one-face.mp4").path)
            let created = try await first.create(TestEmulator.createBody(session: session, sound: sound))
            taskID = try #require(created.data?["task_id"] as? String, "\(created.message)")
            createdAt = try #require(created.data?["created_at"] as? Int)
            // Wait until the worker has taken it.
            var status = ""
            for _ in 0..<200 where status != "processing" {
                status = try await call(.GET, first.url("/videos/advanced-lip-sync/\(taskID)")).data?["task_status"] as? String ?? ""
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == "processing")
        } catch {
            await first.close()
            throw error
        }
        await first.close()

        try await withEmulator({ $0.stateDirectory = state.path; $0.mediaRoots = [root.path] }) { second in
            let done = try await second.waitForTask(taskID)
            #expect(done["task_status"] as? String == "succeed", "\(done["task_status_msg"] ?? "")")
            #expect(done["created_at"] as? Int == createdAt)
            let url = try #require(((done["task_result"] as? [String: Any])?["videos"] as? [[String: Any]])?.first?["url"] as? String)
            #expect(url.hasPrefix(second.base))
            #expect(try await call(.GET, url).status == 200)
        }
    }
}

@Suite("Render failures")
struct RenderFailureTests {
    @Test func mediaBrokenBeforeTheRenderFailsTheTaskWithAMessage() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let state = try temporaryDirectory()
        // Stands for media that turns bad after validation: the session's video is truncated
        // just before the render starts.
        let breakVideo: @Sendable (String) async -> Void = { _ in
            let sessions = state.appendingPathComponent("private/sessions")
            for dir in (try? FileManager.default.contentsOfDirectory(atPath: sessions.path)) ?? [] {
                let video = sessions.appendingPathComponent(dir).appendingPathComponent("video.mp4")
                try? Data("not a video".utf8).write(to: video)
            }
        }
        try await withEmulator({ $0.stateDirectory = state.path; $0.mediaRoots = [root.path]; $0.beforeRender = breakVideo }) { server in
            let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let created = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            let id = try #require(created.data?["task_id"] as? String, "\(created.message)")
            let done = try await server.waitForTask(id)
            #expect(done["task_status"] as? String == "failed")
            #expect((done["task_status_msg"] as? String ?? "").contains("video.mp4"))
            #expect(done["task_result"] == nil)
            // A failed task frees its slot.
            let list = try await call(.GET, server.url("/videos/advanced-lip-sync"))
            #expect(list.dataArray?.first?["task_status"] as? String == "failed")
        }
    }

    @Test func aRenderOverTheTimeoutFailsTheTask() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        try await withEmulator({ $0.mediaRoots = [root.path]; $0.renderTimeout = .milliseconds(20) }) { server in
            let (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let created = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            let id = try #require(created.data?["task_id"] as? String, "\(created.message)")
            let done = try await server.waitForTask(id)
            #expect(done["task_status"] as? String == "failed")
            #expect((done["task_status_msg"] as? String ?? "").contains("took longer than"))
        }
    }
}
