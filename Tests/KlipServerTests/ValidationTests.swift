import Foundation
import KlingAPI
@testable import KlipServer
import Testing

@Suite("Validation (1201)")
struct ValidationTests {
    func expect1201(_ answer: Answer, naming field: String, _ detail: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == 400, "\(answer.message)", sourceLocation: sourceLocation)
        #expect(answer.code == 1201, "\(answer.message)", sourceLocation: sourceLocation)
        #expect(answer.message.contains(field), "\(answer.message) should name \(field)", sourceLocation: sourceLocation)
        if let detail {
            #expect(answer.message.contains(detail), "\(answer.message) should say \(detail)", sourceLocation: sourceLocation)
        }
        #expect(!answer.hasData, sourceLocation: sourceLocation)
    }

    @Test func identifyRefusesBadVideoReferences() async throws {
        let root = try await mediaRoot()
        let outside = try temporaryDirectory("outside")
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.mp4"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.mp4").path,
                                                   withDestinationPath: outside.appendingPathComponent("secret.mp4").path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("etc").path, withDestinationPath: "/etc")
        try await withEmulator({ $0.mediaRoots = [root.path] }) { server in
            let cases: [([String: String], String, String?)] = [
                (["video_id": "123"], "video_id", "no Kling-generated videos"),
                (["video_id": "123", "video_url": "https://example.com/a.mp4"], "video_url", "not both"),
                ([:], "video_url", nil),
                (["video_url": "file:///etc/passwd"], "video_url", "outside"),
                (["video_url": "/etc/passwd"], "video_url", "outside"),
                (["video_url": root.path + "/../../../etc/passwd"], "video_url", "outside"),
                (["video_url": "file://" + root.path + "/../" + outside.lastPathComponent + "/secret.mp4"], "video_url", "outside"),
                (["video_url": root.path + "/link.mp4"], "video_url", "outside"),
                (["video_url": root.path + "/etc/passwd"], "video_url", "outside"),
                (["video_url": "face.mp4"], "video_url", nil),
                (["video_url": "../face.mp4"], "video_url", nil),
                (["video_url": "ftp://example.com/face.mp4"], "video_url", nil),
                (["video_url": "file://otherhost/etc/passwd"], "video_url", nil),
                (["video_url": root.path + "/missing.mp4"], "video_url", "no such file"),
                (["video_url": root.path + "/small.mp4"], "video_url", "512"),
                (["video_url": root.path + "/short.mp4"], "video_url", "2"),
            ]
            for (body, field, detail) in cases {
                let answer = try await call(.POST, server.url("/videos/identify-face"), json: body)
                expect1201(answer, naming: field, detail)
                #expect(!answer.message.contains("secret\n"))
            }
        }
    }

    @Test func localFilesAreRefusedWithoutMediaRoots() async throws {
        let video = try await Fixtures.shared.faceVideo()
        try await withEmulator { server in
            for url in ["file://" + video, video] {
                let answer = try await call(.POST, server.url("/videos/identify-face", prefix: "/kling/v1"), json: ["video_url": url])
                expect1201(answer, naming: "video_url", "no media root")
            }
        }
    }

    @Test func createChecksEveryField() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let shortSound = try Data(contentsOf: root.appendingPathComponent("short.mp3")).base64EncodedString()
        try await withEmulator({ $0.mediaRoots = [root.path] }) { server in
            let (session, faces) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let faceID = try #require(faces.first?["face_id"] as? String)
            func body(_ choice: [String: Any] = [:], extra: [String: Any] = [:], faceID id: String? = nil) -> [String: Any] {
                TestEmulator.createBody(session: session, sound: sound, faceID: id ?? faceID, extra: extra, choice: choice)
            }
            var missingEnd = body()
            var face = (missingEnd["face_choose"] as! [[String: Any]])[0]
            face.removeValue(forKey: "sound_end_time")
            missingEnd["face_choose"] = [face]
            var two = body()
            let valid = (two["face_choose"] as! [[String: Any]])[0]
            two["face_choose"] = [valid, valid]

            let cases: [([String: Any], String, String?)] = [
                (body(faceID: "7"), "face_choose[0].face_id", "not a face of this session"),
                (body(["sound_file": NSNull(), "audio_id": "a1"]), "face_choose[0].audio_id", "text-to-speech"),
                (body(["audio_id": "a1"]), "face_choose[0].sound_file", "not both"),
                (body(["sound_end_time": 5000]), "face_choose[0].sound_end_time", "past the end of the audio"),
                (body(["sound_end_time": 1500]), "face_choose[0].sound_end_time", "2000"),
                (body(["sound_insert_time": 7900]), "face_choose[0].sound_insert_time", "video's end"),
                (body(["sound_insert_time": -1]), "face_choose[0].sound_insert_time", nil),
                (body(["sound_insert_time": 9000]), "face_choose[0].sound_insert_time", "overlap"),
                (body(["sound_start_time": -5]), "face_choose[0].sound_start_time", nil),
                (body(["sound_volume": 3]), "face_choose[0].sound_volume", "[0, 2]"),
                (body(["original_audio_volume": -1]), "face_choose[0].original_audio_volume", "[0, 2]"),
                (body(["sound_start_time": "zero"]), "face_choose[0].sound_start_time", nil),
                (missingEnd, "face_choose[0].sound_end_time", "required"),
                (two, "face_choose", "exactly one"),
                (body(["sound_file": shortSound]), "face_choose[0].sound_file", "2 to 60 s"),
                (body(["sound_file": "!!!not base64!!!"]), "face_choose[0].sound_file", nil),
                (body(["sound_file": Data(count: 5 * 1024 * 1024 + 1).base64EncodedString()]), "face_choose[0].sound_file", "5 MB"),
                (body(["sound_file": Data("not audio at all".utf8).base64EncodedString()]), "face_choose[0].sound_file", "audio"),
                (body(["sound_file": "file:///etc/passwd"]), "face_choose[0].sound_file", "outside"),
                (body(["sound_file": "file://" + root.path + "/../../etc/passwd"]), "face_choose[0].sound_file", "outside"),
                (body(["sound_file": "file://" + root.path + "/short.mp3"]), "face_choose[0].sound_file", "2 to 60 s"),
                (body(["sound_file": "file://" + root.path + "/one-face.mp4"]), "face_choose[0].sound_file", "mp4"),
                (body(extra: ["callback_url": "ftp://example.com"]), "callback_url", nil),
                (body(extra: ["session_id": ""]), "session_id", nil),
                (body(extra: ["session_id": 12]), "session_id", nil),
            ]
            for (request, field, detail) in cases {
                let answer = try await server.create(request)
                expect1201(answer, naming: field, detail)
            }

            // A sound file inside the media root is fine; then its external id cannot be reused.
            let external = "job-\(UUID().uuidString)"
            let ok = try await server.create(body(["sound_file": "file://" + root.path + "/speech.wav"], extra: ["external_task_id": external]))
            #expect(ok.code == 0, "\(ok.message)")
            let again = try await server.create(body(extra: ["external_task_id": external]))
            expect1201(again, naming: "external_task_id", "unique")

            let unknownSession = try await server.create(body(extra: ["session_id": "999999"]))
            #expect(unknownSession.status == 404)
            #expect(unknownSession.code == 1203)
        }
    }

    @Test func anExpiredSessionIs1203AndItsFilesGoAtTheNextStart() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        let state = try temporaryDirectory()
        let configure: (inout EmulatorConfiguration) -> Void = {
            $0.stateDirectory = state.path
            $0.mediaRoots = [root.path]
            $0.sessionLifetime = .milliseconds(300)
        }
        var session = ""
        try await withEmulator(configure) { server in
            (session, _) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            try await Task.sleep(for: .milliseconds(400))
            let answer = try await server.create(TestEmulator.createBody(session: session, sound: sound))
            #expect(answer.status == 404)
            #expect(answer.code == 1203)
            #expect(answer.message.contains("expired"))
        }
        let videoDir = state.appendingPathComponent("private/sessions/\(session)")
        #expect(FileManager.default.fileExists(atPath: videoDir.path))
        try await withEmulator(configure) { server in
            #expect(!FileManager.default.fileExists(atPath: videoDir.path))
            let answer = try await server.create(TestEmulator.createBody(session: session, sound: sound), prefix: "/kling/v1")
            #expect(answer.code == 1203)
            #expect(answer.message.contains("expired"))
        }
    }
}
