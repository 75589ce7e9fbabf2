import Foundation
import KlingAPI
@testable import KlipServer
import Testing

/// Issue 9's smaller findings on the server side, each as it was reported.
@Suite("Review findings (server)")
struct ReviewFindingsTests {
    @Test func aFractionOrAHugeIntegerInATimeFieldNamesTheFieldAndTheType() async throws {
        try await withEmulator { server in
            let cases: [(String, String, String)] = [
                (#""sound_start_time": 1.5"#, "face_choose[0].sound_start_time", "integer"),
                (#""sound_end_time": 12345678901234567890123"#, "face_choose[0].sound_end_time", "too large"),
                (#""sound_insert_time": -0.25"#, "face_choose[0].sound_insert_time", "integer"),
            ]
            for (field, name, detail) in cases {
                let others = ["\"sound_start_time\": 0", "\"sound_end_time\": 2000", "\"sound_insert_time\": 0"]
                    .filter { !$0.hasPrefix(String(field.prefix(while: { $0 != ":" }))) }
                let body = #"{"session_id": "123", "face_choose": [{"face_id": "0", "sound_file": "x", "sound_volume": 0.5, "#
                    + ([field] + others).joined(separator: ", ") + "}]}"
                let answer = try await call(.POST, server.url("/videos/advanced-lip-sync"), raw: Data(body.utf8))
                #expect(answer.status == 400, "\(body)")
                #expect(answer.code == 1201, "\(answer.message)")
                #expect(answer.message.contains(name), "\(answer.message) should name \(name)")
                #expect(answer.message.contains(detail), "\(answer.message) should say \(detail)")
            }
        }
    }

    @Test func aTokenWithAFarFutureExpIsRefusedAndAClientTokenIsNot() async throws {
        let access = "ak-life", secret = "sk-life-secret"
        let server = try await TestEmulator.start { $0.accessKeys = [access: secret] }
        do {
            let now = Int64(Date().timeIntervalSince1970)
            let forever = KlingJWT.sign(.init(iss: access, exp: now + 10 * 365 * 86400, nbf: now - 5), secretKey: secret)
            let refused = try await call(.GET, server.url("/videos/advanced-lip-sync/1"),
                                         headers: [("Authorization", "Bearer " + forever)])
            #expect(refused.status == 401)
            #expect(refused.code == 1002)
            #expect(refused.message.contains("30 minutes"), "\(refused.message)")
            // What the client signs (now + 1800 s) is inside the cap: this id is just unknown.
            let client = KlingJWT.sign(KlingJWT.claims(accessKey: access), secretKey: secret)
            let accepted = try await call(.GET, server.url("/videos/advanced-lip-sync/1"),
                                          headers: [("Authorization", "Bearer " + client)])
            #expect(accepted.status == 404)
        } catch { await server.close(); throw error }
        await server.close()
    }
}
