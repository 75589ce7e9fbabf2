import Foundation
@testable import KlipServer
import Testing

/// `--loopback-only`: nothing the emulator fetches or calls back leaves the machine.
@Suite("Loopback-only outbound")
struct OutboundTests {
    @Test func loopbackHostsAreLiteral() {
        for host in ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]"] {
            #expect(MediaInput.isLoopbackHost(host), "\(host)")
        }
        for host in ["example.com", "127.0.0.1.example.com", "128.0.0.1", "0.0.0.0", "127.0.0", "::2", "", "localhost.localdomain"] {
            #expect(!MediaInput.isLoopbackHost(host), "\(host)")
        }
    }

    @Test func remoteMediaAndCallbacksAreRefusedWith1201() async throws {
        try await withEmulator({ $0.outboundLoopbackOnly = true }) { server in
            let identify = try await call(.POST, server.url("/videos/identify-face"), json: ["video_url": "http://example.com/face.mp4"])
            #expect(identify.status == 400)
            #expect(identify.code == 1201)
            #expect(identify.message.contains("video_url") && identify.message.contains("loopback"))

            let body = TestEmulator.createBody(session: "1", sound: "http://example.com/a.mp3")
            let sound = try await server.create(body)
            #expect(sound.code == 1203)  // the session is looked up first; the sound is fetched after
            let hook = try await server.create(TestEmulator.createBody(session: "1", sound: "AAAA", extra: ["callback_url": "http://example.com/hook"]))
            #expect(hook.code == 1201)
            #expect(hook.message.contains("callback_url") && hook.message.contains("loopback"))
            // A loopback callback passes this check (and then fails on the unknown session).
            let local = try await server.create(TestEmulator.createBody(session: "1", sound: "AAAA", extra: ["callback_url": "http://127.0.0.1:9/hook"]))
            #expect(local.code == 1203)
        }
    }
}
