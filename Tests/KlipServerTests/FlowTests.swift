import Foundation
import KlingAPI
@testable import KlipServer
import KlipMedia
import Testing

@Suite("Identify, create, query, list")
struct FlowTests {
    @Test func identifyCreateQuerySucceedAndDownload() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        try await withEmulator({ $0.mediaRoots = [root.path] }) { server in
            let (session, faces) = try await server.identify("file://" + root.appendingPathComponent("one-face.mp4").path, prefix: "/kling/v1")
            #expect(session.allSatisfy { $0.isNumber })
            let face = try #require(faces.first, "no face found in one-face.mp4")
            let faceID = try #require(face["face_id"] as? String)
            let image = try #require(face["face_image"] as? String)
            #expect(image == "\(server.base)/files/sessions/\(session)/face-\(faceID).jpg")
            let crop = try await call(.GET, image)
            #expect(crop.status == 200)
            #expect(crop.body.starts(with: [0xFF, 0xD8]))
            #expect((face["start_time"] as? Int ?? -1) >= 0)
            #expect((face["end_time"] as? Int ?? 0) >= 9000)

            let external = "ext-\(UUID().uuidString)"
            let created = try await server.create(TestEmulator.createBody(
                session: session, sound: sound, faceID: faceID,
                extra: ["external_task_id": external, "unknown_field": ["ignored": true]],
                choice: ["sound_volume": 1.0, "original_audio_volume": 0.5]))
            #expect(created.code == 0, "\(created.message)")
            let data = try #require(created.data)
            let taskID = try #require(data["task_id"] as? String)
            #expect(data["task_status"] as? String == "submitted")
            #expect((data["task_info"] as? [String: Any])?["external_task_id"] as? String == external)
            #expect(data["created_at"] is Int)

            let done = try await server.waitForTask(taskID, prefix: "/kling/v1")
            #expect(done["task_status"] as? String == "succeed", "\(done["task_status_msg"] ?? "")")
            let videos = try #require((done["task_result"] as? [String: Any])?["videos"] as? [[String: Any]])
            let video = try #require(videos.first)
            let url = try #require(video["url"] as? String)
            #expect(url == "\(server.base)/files/tasks/\(taskID)/output.mp4")
            #expect(video["id"] is String)
            let duration = try #require(video["duration"] as? String)
            #expect(abs((Double(duration) ?? 0) - 10) < 0.2, "duration \(duration)")

            let file = try await call(.GET, url)
            #expect(file.status == 200)
            let local = try temporaryDirectory("result").appendingPathComponent("output.mp4")
            try file.body.write(to: local)
            let info = try await MediaProbe.probe(local.path)
            #expect(info.video != nil)
            #expect(info.audio != nil)

            // URLs follow the Host the client used (ports are ephemeral; names vary).
            let port = try #require(server.running.baseURL.port)
            let viaLocalhost = try await call(.GET, server.url("/videos/advanced-lip-sync/\(taskID)"),
                                              headers: [("Host", "localhost:\(port)")])
            let localURL = ((viaLocalhost.data?["task_result"] as? [String: Any])?["videos"] as? [[String: Any]])?.first?["url"] as? String
            #expect(localURL == "http://localhost:\(port)/files/tasks/\(taskID)/output.mp4")

            // By external id, under the other prefix.
            let byExternal = try await call(.GET, server.url("/videos/advanced-lip-sync/\(external)"))
            #expect(byExternal.data?["task_id"] as? String == taskID)

            // A second task, then the list: newest first.
            let second = try await server.create(TestEmulator.createBody(session: session, sound: sound, faceID: faceID))
            let secondID = try #require(second.data?["task_id"] as? String)
            _ = try await server.waitForTask(secondID)
            let list = try await call(.GET, server.url("/videos/advanced-lip-sync?pageNum=1&pageSize=30"))
            #expect(list.dataArray?.compactMap { $0["task_id"] as? String } == [secondID, taskID])
            let page2 = try await call(.GET, server.url("/videos/advanced-lip-sync?pageNum=2&pageSize=1", prefix: "/kling/v1"))
            #expect(page2.dataArray?.compactMap { $0["task_id"] as? String } == [taskID])
        }
    }

    @Test func videoAndSoundOverHTTPAreDownloaded() async throws {
        let files = try await LocalServer(files: ["/media/face.mp4": try await Fixtures.shared.faceVideo(),
                                                  "/media/speech.wav": try await Fixtures.shared.sound()])
        do {
            try await withEmulator { server in
                let (session, faces) = try await server.identify(files.base + "/media/face.mp4")
                let faceID = try #require(faces.first?["face_id"] as? String)
                let created = try await server.create(TestEmulator.createBody(session: session, sound: files.base + "/media/speech.wav", faceID: faceID))
                #expect(created.code == 0, "\(created.message)")
                let missing = try await call(.POST, server.url("/videos/identify-face"), json: ["video_url": files.base + "/media/none.mp4"])
                #expect(missing.code == 1201)
                #expect(missing.message.contains("video_url"))
                if let id = created.data?["task_id"] as? String {
                    let done = try await server.waitForTask(id)
                    #expect(done["task_status"] as? String == "succeed")
                }
            }
        } catch {
            await files.stop()
            throw error
        }
        await files.stop()
    }

    @Test func oversizedDownloadIsRefusedNamingTheLimit() async throws {
        let files = try await LocalServer(files: ["/media/face.mp4": try await Fixtures.shared.faceVideo()])
        do {
            try await withEmulator({ $0.maxDownloadBytes = 1000 }) { server in
                let answer = try await call(.POST, server.url("/videos/identify-face"), json: ["video_url": files.base + "/media/face.mp4"])
                #expect(answer.code == 1201)
                #expect(answer.message.contains("video_url"))
                #expect(answer.message.contains("1000 bytes"))
            }
        } catch {
            await files.stop()
            throw error
        }
        await files.stop()
    }
}

@Suite("Faces")
struct FaceTests {
    @Test func identifyReportsEveryFaceOrNone() async throws {
        try await withEmulator({ $0.mediaRoots = [Fixtures.repoMedia.path] }) { server in
            let (_, two) = try await server.identify(Fixtures.repoMedia.appendingPathComponent("two-faces.mp4").path)
            #expect(two.compactMap { $0["face_id"] as? String }.sorted() == ["0", "1"])
            // No face: a session with an empty face_data (Kling documents no error for it).
            let (session, none) = try await server.identify("file://" + Fixtures.repoMedia.appendingPathComponent("no-face.mp4").path)
            #expect(none.isEmpty)
            let sound = try await base64Sound()
            let create = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            #expect(create.code == 1201)
            #expect(create.message.contains("face_choose[0].face_id"))
        }
    }
}
