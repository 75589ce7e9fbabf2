import Foundation
@testable import KlipServer
import Testing

/// Regressions for what scripts/fuzz (schemathesis over openapi/klip-emulator.yaml) found.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    /// An object where another type was expected was called "an array".
    @Test func anObjectFieldOfTheWrongTypeIsCalledAnObject() async throws {
        try await withEmulator { server in
            let face: [String: Any] = ["face_id": "0", "sound_file": "AAAA", "sound_start_time": 0,
                                       "sound_end_time": 2500, "sound_insert_time": 0]
            let cases: [([String: Any], String)] = [
                (["session_id": "1", "face_choose": [face], "watermark_info": 5], "invalid watermark_info: has the wrong type; expected an object"),
                (["session_id": "1", "face_choose": [NSNull()]], "invalid face_choose[0]: must not be null; expected an object"),
                (["session_id": "1", "face_choose": "x"], "invalid face_choose: has the wrong type; expected an array"),
            ]
            for (body, message) in cases {
                let answer = try await server.create(body)
                #expect(answer.code == 1201)
                #expect(answer.message == message)
            }
        }
    }

    /// A media URL naming a closed port held the request until the download deadline (two
    /// minutes) while the client retried connecting; now the refusal is the answer.
    @Test func aMediaURLOnAClosedPortIsRefusedAtOnce() async throws {
        let gone = try await LocalServer()
        let port = gone.port
        await gone.stop()
        try await withEmulator { server in
            let answer = try await call(.POST, server.url("/videos/identify-face"),
                                        json: ["video_url": "http://127.0.0.1:\(port)/face.mp4"])
            #expect(answer.status == 400)
            #expect(answer.code == 1201)
            #expect(answer.message.contains("video_url") && answer.message.contains("could not be downloaded"))
            #expect(answer.message.lowercased().contains("refused"), "\(answer.message)")
        }
    }
}
