import AsyncHTTPClient
import Foundation
@testable import KlipServer
import Logging
import Testing

/// The tests' client: generous timeouts, because on a shared 2-core machine an identify can
/// wait a long time for the CPU. Never shut down (it lives as long as the test process).
/// The connect timeout also bounds the wait for a pooled connection, which the load tests'
/// 200 requests in flight make long: so it only catches a hang, like the read timeout.
let testClient: HTTPClient = {
    var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(600), read: .seconds(600)))
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
    return HTTPClient(configuration: configuration)
}()

/// The load tests' client: 200 connections, so 200 requests are really in flight at once,
/// and a connect timeout (which also bounds the wait for a pooled connection) no load reaches.
let loadClient: HTTPClient = {
    var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(600), read: .seconds(600)))
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 200
    return HTTPClient(configuration: configuration)
}()

/// At most two identify calls (dlib over a whole video) at once across all parallel tests:
/// more only make each slower.
let identifyGate = AsyncGate(permits: 2)

actor AsyncGate {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    init(permits: Int) { available = permits }

    func acquire() async {
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }

    func withPermit<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}

/// One answer, with its envelope parsed.
struct Answer: Sendable {
    var status: Int
    var body: Data
    var headers: [(String, String)]

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }
    var code: Int? { json["code"] as? Int }
    var message: String { json["message"] as? String ?? "" }
    var requestID: String? { json["request_id"] as? String }
    var data: [String: Any]? { json["data"] as? [String: Any] }
    var dataArray: [[String: Any]]? { json["data"] as? [[String: Any]] }
    var hasData: Bool { json["data"] != nil }
}

/// The test client's methods (NIO's HTTPMethod is not visible to this target).
enum Verb: String, Sendable { case GET, POST, PUT, DELETE, HEAD }

func call(_ method: Verb, _ url: String, json: Any? = nil, raw: Data? = nil,
          headers: [(String, String)] = [], client: HTTPClient = testClient) async throws -> Answer {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method.rawValue)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(try JSONSerialization.data(withJSONObject: json))
    } else if let raw {
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(raw)
    }
    let response = try await client.execute(request, timeout: .seconds(600))
    let body = try await response.body.collect(upTo: 200 << 20)
    return Answer(status: Int(response.status.code), body: Data(body.readableBytesView),
                  headers: response.headers.map { ($0.name, $0.value) })
}

/// An emulator in a fresh state directory, stopped by `close()`.
struct TestEmulator: Sendable {
    var running: RunningEmulator
    var config: EmulatorConfiguration
    var base: String { running.baseURL.absoluteString }

    static func start(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }, stateDirectory: URL? = nil) async throws -> TestEmulator {
        var config = EmulatorConfiguration(stateDirectory: try (stateDirectory ?? temporaryDirectory()).path, maxParallel: 2)
        config.callbackRetryDelays = [.milliseconds(50), .milliseconds(100)]
        config.callbackTimeout = .seconds(1)
        configure(&config)
        var logger = Logger(label: "klip.server.test")
        // Errors only: the warnings a test provokes on purpose (a callback receiver that never
        // answers is given up) are right for an operator and noise in a passing run.
        logger.logLevel = .error
        return TestEmulator(running: try await Emulator.start(config, logger: logger), config: config)
    }

    func close() async { await running.stop() }

    func url(_ path: String, prefix: String = "/v1") -> String { base + prefix + path }

    /// Polls a task until it is final.
    func waitForTask(_ id: String, prefix: String = "/v1", headers: [(String, String)] = [],
                     timeout: Duration = .seconds(120)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let answer = try await call(.GET, url("/videos/advanced-lip-sync/\(id)", prefix: prefix), headers: headers)
            let data = try #require(answer.data, "query answered \(answer.status) \(answer.message)")
            if let status = data["task_status"] as? String, status == "succeed" || status == "failed" { return data }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("task \(id) did not finish in \(timeout)")
        return [:]
    }
}

/// Runs `body` against a fresh emulator and always stops it.
func withEmulator(_ configure: (inout EmulatorConfiguration) -> Void = { _ in },
                  _ body: (TestEmulator) async throws -> Void) async throws {
    let server = try await TestEmulator.start(configure)
    do { try await body(server) } catch {
        await server.close()
        throw error
    }
    await server.close()
}
