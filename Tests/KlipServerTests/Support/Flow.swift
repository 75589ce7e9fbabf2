import Foundation
@testable import KlipServer
import Testing

extension TestEmulator {
    /// identify-face on a file inside a media root; returns the session id and its faces.
    func identify(_ videoURL: String, prefix: String = "/v1", headers: [(String, String)] = []) async throws -> (String, [[String: Any]]) {
        let answer = try await identifyGate.withPermit {
            try await call(.POST, url("/videos/identify-face", prefix: prefix), json: ["video_url": videoURL], headers: headers)
        }
        #expect(answer.status == 200, "identify answered \(answer.status) \(answer.message)")
        let data = try #require(answer.data, "identify: \(answer.message)")
        let session = try #require(data["session_id"] as? String)
        let faces = try #require(data["face_data"] as? [[String: Any]])
        return (session, faces)
    }

    /// A create body for face "0" speaking the fixture sound from 0.5 s.
    static func createBody(session: String, sound: String, faceID: String = "0", start: Int = 0, end: Int = 2500,
                           insert: Int = 500, extra: [String: Any] = [:], choice: [String: Any] = [:]) -> [String: Any] {
        var face: [String: Any] = ["face_id": faceID, "sound_file": sound, "sound_start_time": start,
                                   "sound_end_time": end, "sound_insert_time": insert]
        face.merge(choice) { $1 }
        var body: [String: Any] = ["session_id": session, "face_choose": [face]]
        body.merge(extra) { $1 }
        return body
    }

    func create(_ body: [String: Any], prefix: String = "/v1") async throws -> Answer {
        try await call(.POST, url("/videos/advanced-lip-sync", prefix: prefix), json: body)
    }
}

func base64Sound() async throws -> String {
    try Data(contentsOf: URL(fileURLWithPath: try await Fixtures.shared.sound())).base64EncodedString()
}

/// A media root with the fixtures in it.
func mediaRoot() async throws -> URL {
    let root = try temporaryDirectory("media")
    for path in [try await Fixtures.shared.faceVideo(), try await Fixtures.shared.smallVideo(),
                 try await Fixtures.shared.shortVideo(), try await Fixtures.shared.sound(),
                 try await Fixtures.shared.shortSound()] {
        try FileManager.default.copyItem(atPath: path, toPath: root.appendingPathComponent((path as NSString).lastPathComponent).path)
    }
    return root
}
