import Foundation
import KlingAPI
@testable import KlipServer
import Testing

@Suite("Routes and envelope")
struct RoutingTests {
    @Test func unknownRouteOrMethodIs1202() async throws {
        try await withEmulator { server in
            let cases: [(Verb, String)] = [
                (.GET, "/v1/videos/nothing"), (.GET, "/kling/v1/videos/identify-face"),
                (.DELETE, "/v1/videos/advanced-lip-sync/1"), (.PUT, "/kling/v1/videos/advanced-lip-sync"),
                (.GET, "/v2/videos/advanced-lip-sync"), (.GET, "/"), (.POST, "/files/tasks/1/output.mp4"),
            ]
            for (method, path) in cases {
                let answer = try await call(method, server.base + path)
                #expect(answer.status == 404, "\(method) \(path)")
                #expect(answer.code == 1202, "\(method) \(path)")
                #expect(!answer.hasData)
            }
        }
    }

    @Test func unknownTaskIs1203() async throws {
        try await withEmulator { server in
            for prefix in ["/v1", "/kling/v1"] {
                let answer = try await call(.GET, server.url("/videos/advanced-lip-sync/123456789012345678", prefix: prefix))
                #expect(answer.status == 404)
                #expect(answer.code == 1203)
                #expect(answer.message.contains("123456789012345678"))
            }
        }
    }

    @Test func everyAnswerHasTheEnvelopeAndAFreshRequestID() async throws {
        try await withEmulator { server in
            var ids: Set<String> = []
            let answers = [
                try await call(.GET, server.url("/videos/advanced-lip-sync?pageNum=1&pageSize=30")),
                try await call(.GET, server.url("/videos/advanced-lip-sync", prefix: "/kling/v1")),
                try await call(.GET, server.url("/videos/advanced-lip-sync/1")),
                try await call(.POST, server.url("/videos/identify-face"), raw: Data("{".utf8)),
                try await call(.GET, server.base + "/nope"),
            ]
            for answer in answers {
                let json = answer.json
                #expect(json["code"] is Int)
                #expect(json["message"] is String)
                let id = try #require(answer.requestID)
                #expect(!id.isEmpty)
                ids.insert(id)
                #expect(answer.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("application/json") })
            }
            #expect(ids.count == answers.count)
            #expect(answers[0].code == 0 && answers[0].dataArray != nil)
            #expect(answers[1].code == 0)
        }
    }

    @Test func listPagingIsChecked() async throws {
        try await withEmulator { server in
            for (query, field) in [("pageNum=0", "pageNum"), ("pageNum=1001", "pageNum"), ("pageSize=0", "pageSize"),
                                   ("pageSize=501", "pageSize"), ("pageSize=abc", "pageSize")] {
                let answer = try await call(.GET, server.url("/videos/advanced-lip-sync?\(query)"))
                #expect(answer.status == 400, "\(query)")
                #expect(answer.code == 1201, "\(query)")
                #expect(answer.message.contains(field), "\(query): \(answer.message)")
            }
            let ok = try await call(.GET, server.url("/videos/advanced-lip-sync?pageNum=1000&pageSize=500"))
            #expect(ok.code == 0)
        }
    }

    @Test func badJSONIs1200AndATooLargeBodyIs1200NamingTheLimit() async throws {
        try await withEmulator({ $0.maxBodyBytes = 1 << 20 }) { server in
            for raw in ["{", "[]", "", "\"text\"", "{\"session_id\": }"] {
                let answer = try await call(.POST, server.url("/videos/advanced-lip-sync"), raw: Data(raw.utf8))
                #expect(answer.status == 400, "\(raw)")
                #expect(answer.code == 1200, "\(raw)")
            }
            let big = Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
            let answer = try await call(.POST, server.url("/videos/identify-face", prefix: "/kling/v1"), raw: big)
            #expect(answer.status == 400)
            #expect(answer.code == 1200)
            #expect(answer.message.contains("1 MB"))
            // Still serving afterwards.
            let after = try await call(.GET, server.url("/videos/advanced-lip-sync"))
            #expect(after.code == 0)
        }
    }

    @Test func fileServingRefusesEscapes() async throws {
        try await withEmulator { server in
            for path in ["/files/../klip.sqlite", "/files/sessions/../../klip.sqlite", "/files/klip.sqlite",
                         "/files/tasks/%2e%2e/x", "/files/private/sessions/x"] {
                let answer = try await call(.GET, server.base + path)
                #expect(answer.status == 404, "\(path)")
                #expect(!answer.body.starts(with: Data("SQLite".utf8)))
            }
        }
    }
}
