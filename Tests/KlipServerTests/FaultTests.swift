import AsyncHTTPClient
import Foundation
@testable import KlipServer
import Testing

/// `--faults`: the spec text, the seeded draw, and every kind as a real HTTP client sees it.
@Suite("Injected faults")
struct FaultTests {
    @Test func theSpecReadsRatesPercentagesDelaysAndAll() throws {
        let spec = try FaultSpec(parsing: "5000=0.05, 1302=3%,drop-before=0.02,drop-after=0.02,slow=0.05:1500ms,truncate=0.02")
        #expect(spec.rates[.internalError] == 0.05)
        #expect(spec.rates[.rateLimited] == 0.03)
        #expect(spec.rates[.slow] == 0.05)
        #expect(spec.slowDelay == .milliseconds(1500))
        #expect(spec.description == "5000=0.05,1302=0.03,drop-before=0.02,drop-after=0.02,slow=0.05:1500ms,truncate=0.02")
        #expect(try FaultSpec(parsing: spec.description) == spec)

        let all = try FaultSpec(parsing: "all=0.18")
        #expect(all.rates.count == FaultSpec.Kind.allCases.count)
        #expect(abs(all.totalRate - 0.18) < 1e-12)
        let overridden = try FaultSpec(parsing: "all=0.45,slow=0.1:2s")
        #expect(overridden.rates[.slow] == 0.1)
        #expect(overridden.rates[.truncate] == 0.05)
        #expect(try FaultSpec(parsing: "").isEmpty)
        #expect(FaultSpec.none.description == "none")
    }

    @Test(arguments: [
        ("5003=0.1", "unknown fault kind \"5003\""), ("5000", "not KIND=RATE"), ("5000=1.5", "from 0 to 1"),
        ("5000=abc", "must be a number"), ("5000=0.6,1302=0.6", "add up to 1.2"), ("5000=0.1,5000=0.2", "twice"),
        ("5000=0.1:2s", "only slow"), ("slow=0.1:2 minutes", "like 2s"), ("drop-after=-0.1", "from 0 to 1"),
    ])
    func aBadSpecIsRefusedNamingTheEntry(text: String, expected: String) {
        #expect {
            _ = try FaultSpec(parsing: text)
        } throws: { error in
            let message = (error as? FaultSpecError)?.description ?? ""
            return message.hasPrefix("--faults:") && message.contains(expected)
        }
    }

    @Test func theDrawDependsOnlyOnTheSeedAndTheRequestNumber() throws {
        let spec = try FaultSpec(parsing: "all=0.5")
        let a = FaultInjector(spec: spec, seed: 42), b = FaultInjector(spec: spec, seed: 42), c = FaultInjector(spec: spec, seed: 43)
        let first = (0..<1000).map { a.kind(forRequest: $0) }
        #expect(first == (0..<1000).map { b.kind(forRequest: $0) })
        #expect(first != (0..<1000).map { c.kind(forRequest: $0) })
        // The rates hold over many requests (a loose band: this is a check of the walk, not of the generator).
        let faulted = first.compactMap { $0 }
        #expect((400...600).contains(faulted.count))
        for kind in FaultSpec.Kind.allCases { #expect(faulted.contains(kind), "\(kind) never drawn") }
        // next() numbers requests in arrival order.
        #expect((0..<5).map { _ in a.next().number } == [0, 1, 2, 3, 4])
    }

    @Test(arguments: [("5000", 500), ("5001", 503), ("5002", 504), ("1302", 429), ("1303", 429)])
    func anErrorFaultAnswersItsCodeWithItsStatus(kind: String, status: Int) async throws {
        try await withEmulator({ $0.faults = try! FaultSpec(parsing: "\(kind)=1") }) { server in
            for path in ["/v1/videos/advanced-lip-sync", "/kling/v1/videos/advanced-lip-sync/123"] {
                let answer = try await call(.GET, server.base + path)
                #expect(answer.status == status)
                #expect(answer.code == Int(kind))
                #expect(answer.message.contains("injected"))
                #expect(answer.requestID != nil)
                #expect(!answer.hasData)
                #expect(answer.headers.contains { $0.0.lowercased() == "klip-fault" && $0.1 == kind })
            }
            // Files are never faulted.
            let file = try await call(.GET, server.base + "/files/tasks/1/output.mp4")
            #expect(file.status == 404)
            #expect(file.code == 1203)
        }
    }

    @Test func theSameSeedGivesTheSameFaultsOverHTTP() async throws {
        let spec = try FaultSpec(parsing: "all=0.9,slow=0.1:1ms")
        func run(seed: UInt64) async throws -> [Outcome] {
            var outcomes: [Outcome] = []
            try await withEmulator({ $0.faults = spec; $0.faultSeed = seed }) { server in
                for _ in 0..<40 { outcomes.append(try await Outcome.of(.GET, server.url("/videos/advanced-lip-sync"))) }
            }
            return outcomes
        }
        let first = try await run(seed: 7)
        #expect(try await run(seed: 7) == first)
        #expect(try await run(seed: 8) != first)
        // And it is the draw's sequence, request by request.
        let injector = FaultInjector(spec: spec, seed: 7)
        #expect(first == (0..<40).map { Outcome.expected(injector.kind(forRequest: UInt64($0))) })
    }

    /// Each kind at rate 1 on a create with an external_task_id; then, on a restart without
    /// faults, the external id finds the task exactly when the fault let the create happen.
    @Test func aLostCreateAnswerIsFoundByItsExternalTaskID() async throws {
        let root = try await mediaRoot()
        let sound = root.appendingPathComponent("speech.wav").path  // an absolute path inside the root
        let state = try temporaryDirectory()
        let configure: (inout EmulatorConfiguration) -> Void = {
            $0.stateDirectory = state.path
            $0.mediaRoots = [root.path]
            $0.renderMode = .none
            $0.maxParallel = 10  // tasks of earlier cases may still hold slots
        }
        var session = ""
        try await withEmulator(configure) { server in
            session = try await server.identify(root.appendingPathComponent("one-face.mp4").path).0
        }

        let cases: [(spec: String, outcome: Outcome, created: Bool)] = [
            ("drop-before=1", .dropped, false),
            ("drop-after=1", .dropped, true),
            ("truncate=1", .truncated(200), true),
            ("slow=1:300ms", .answered(200, "slow"), true),
            ("5000=1", .answered(500, "5000"), false),
            ("1302=1", .answered(429, "1302"), false),
        ]
        for (index, item) in cases.enumerated() {
            try await withEmulator({ configure(&$0); $0.faults = try! FaultSpec(parsing: item.spec) }) { server in
                let body = TestEmulator.createBody(session: session, sound: sound, extra: ["external_task_id": "ext-\(index)"])
                let started = ContinuousClock.now
                let outcome = try await Outcome.of(.POST, server.url("/videos/advanced-lip-sync"), json: body)
                #expect(outcome == item.outcome, "\(item.spec)")
                if item.spec.hasPrefix("slow") { #expect(ContinuousClock.now - started >= .milliseconds(300)) }
            }
        }
        try await withEmulator(configure) { server in
            for (index, item) in cases.enumerated() {
                let answer = try await call(.GET, server.url("/videos/advanced-lip-sync/ext-\(index)"))
                if item.created {
                    #expect(answer.code == 0, "\(item.spec): \(answer.message)")
                    let info = answer.data?["task_info"] as? [String: Any]
                    #expect(info?["external_task_id"] as? String == "ext-\(index)")
                    let id = try #require(answer.data?["task_id"] as? String)
                    let done = try await server.waitForTask(id)
                    #expect(done["task_status"] as? String == "succeed", "\(done["task_status_msg"] ?? "")")
                } else {
                    #expect(answer.status == 404, "\(item.spec)")
                    #expect(answer.code == 1203, "\(item.spec)")
                }
            }
        }
    }
}

/// What a client saw of one request.
enum Outcome: Equatable, CustomStringConvertible {
    /// An answer: its status and its `klip-fault` header.
    case answered(Int, String?)
    /// The connection closed before any answer.
    case dropped
    /// A head with this status, then a body that ended early.
    case truncated(Int)

    var description: String {
        switch self {
        case let .answered(status, fault): "\(status)\(fault.map { " (\($0))" } ?? "")"
        case .dropped: "dropped"
        case let .truncated(status): "\(status) truncated"
        }
    }

    /// One request on its own client, so a closed connection affects nothing else.
    static func of(_ method: Verb, _ url: String, json: Any? = nil) async throws -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method.rawValue)
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(try JSONSerialization.data(withJSONObject: json))
        }
        let response: HTTPClientResponse
        do { response = try await testClient.execute(request, timeout: .seconds(600)) } catch { return .dropped }
        let fault = response.headers.first(name: "klip-fault")
        do { _ = try await response.body.collect(upTo: 1 << 20) } catch { return .truncated(Int(response.status.code)) }
        return .answered(Int(response.status.code), fault)
    }

    /// What a GET of the task list sees for a drawn kind.
    static func expected(_ kind: FaultSpec.Kind?) -> Outcome {
        guard let kind else { return .answered(200, nil) }
        switch kind {
        case .internalError: return .answered(500, "5000")
        case .unavailable: return .answered(503, "5001")
        case .timeout: return .answered(504, "5002")
        case .rateLimited: return .answered(429, "1302")
        case .tooManyParallel: return .answered(429, "1303")
        case .dropBefore, .dropAfter: return .dropped
        case .slow: return .answered(200, "slow")
        case .truncate: return .truncated(200)
        }
    }
}
