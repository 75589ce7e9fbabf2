import Foundation
import KlingAPI
@testable import KlipServer
import Testing

@Suite("Authorization")
struct AuthTests {
    static let key = "static-key-123"
    static let access = "ak-test"
    static let secret = "sk-test-secret"

    func withServer(_ body: (TestEmulator) async throws -> Void) async throws {
        let server = try await TestEmulator.start {
            $0.apiKeys = [Self.key]
            $0.accessKeys = [Self.access: Self.secret]
        }
        do { try await body(server) } catch { await server.close(); throw error }
        await server.close()
    }

    func jwt(nbf: Int64, exp: Int64, secret: String = secret, iss: String = access) -> String {
        KlingJWT.sign(.init(iss: iss, exp: exp, nbf: nbf), secretKey: secret)
    }

    @Test func missingAuthorizationIs1001() async throws {
        try await withServer { server in
            for prefix in ["/v1", "/kling/v1"] {
                let answer = try await call(.GET, server.url("/videos/advanced-lip-sync/1", prefix: prefix))
                #expect(answer.status == 401)
                #expect(answer.code == 1001)
                #expect(!answer.hasData)
                #expect(answer.requestID?.isEmpty == false)
            }
            let empty = try await call(.GET, server.url("/videos/advanced-lip-sync/1"), headers: [("Authorization", "")])
            #expect(empty.code == 1001)
        }
    }

    @Test func unknownKeyOrBadSignatureIs1002() async throws {
        try await withServer { server in
            let now = Int64(Date().timeIntervalSince1970)
            let badTokens = [
                "Bearer wrong-key",
                "Basic \(Self.key)",
                "Bearer " + jwt(nbf: now - 5, exp: now + 1800, secret: "another-secret"),
                "Bearer " + jwt(nbf: now - 5, exp: now + 1800, iss: "unknown-access-key"),
                "Bearer not.a.jwt",
            ]
            for header in badTokens {
                let answer = try await call(.GET, server.url("/videos/advanced-lip-sync/1"), headers: [("Authorization", header)])
                #expect(answer.status == 401, "\(header)")
                #expect(answer.code == 1002, "\(header)")
                #expect(!answer.message.contains(Self.secret))
            }
        }
    }

    @Test func tokenNotYetValidIs1003AndExpiredIs1004() async throws {
        try await withServer { server in
            let now = Int64(Date().timeIntervalSince1970)
            let future = try await call(.GET, server.url("/videos/advanced-lip-sync/1"),
                                        headers: [("Authorization", "Bearer " + jwt(nbf: now + 600, exp: now + 1800))])
            #expect(future.status == 401)
            #expect(future.code == 1003)
            let expired = try await call(.GET, server.url("/videos/advanced-lip-sync/1"),
                                         headers: [("Authorization", "Bearer " + jwt(nbf: now - 3600, exp: now - 60))])
            #expect(expired.status == 401)
            #expect(expired.code == 1004)
        }
    }

    @Test func staticKeyAndValidJWTAreAccepted() async throws {
        try await withServer { server in
            let token = KlingJWT.sign(KlingJWT.claims(accessKey: Self.access), secretKey: Self.secret)
            for header in ["Bearer \(Self.key)", "Bearer \(token)"] {
                for prefix in ["/v1", "/kling/v1"] {
                    // Past auth, an unknown task: 1203.
                    let answer = try await call(.GET, server.url("/videos/advanced-lip-sync/42", prefix: prefix),
                                                headers: [("Authorization", header)])
                    #expect(answer.status == 404)
                    #expect(answer.code == 1203)
                }
            }
        }
    }

    @Test func refusesToServeWithoutAuthOffLoopback() async throws {
        var config = EmulatorConfiguration(stateDirectory: try temporaryDirectory().path)
        config.host = "0.0.0.0"
        await #expect(throws: EmulatorStartError.self) {
            _ = try await Emulator.start(config, logger: .init(label: "test"))
        }
    }
}
