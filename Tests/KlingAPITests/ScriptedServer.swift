import Foundation
import Hummingbird
import KlingAPI
import Logging
import NIOCore
import ServiceLifecycle

/// A real HTTP server on a loopback ephemeral port that answers from a script, for testing
/// how the client reacts to each answer Kling can give (retryable codes, token expiry,
/// status sequences). It records every request it receives.
final class ScriptedServer: Sendable {
    struct Received: Sendable {
        var method: String
        var path: String
        var authorization: String?
        var body: Data
    }
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var body: String
        var delay: Duration = .zero
    }
    typealias Script = @Sendable (Received, Int) -> Answer

    private let state = State()
    let baseURL: URL
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    private actor State {
        var received: [Received] = []
        func add(_ r: Received) -> Int { received.append(r); return received.count }
    }

    var received: [Received] { get async { await state.received } }

    init(_ script: @escaping Script) async throws {
        let state = self.state
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let bytes = try await request.body.collect(upTo: 64 << 20)
            let received = Received(method: request.method.rawValue, path: request.uri.string,
                                    authorization: request.headers[.authorization],
                                    body: Data(bytes.readableBytesView))
            let count = await state.add(received)
            let answer = script(received, count)
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            return Response(status: answer.status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.on("**", method: .get, use: handler)
        router.on("**", method: .post, use: handler)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        )
        // Stopped gracefully, not by cancelling `app.run()`: a cancelled accept loop logs
        // "Waiting on child channel: CancellationError()" at error level, which a passing test
        // run must not print. A delayed answer still in flight is cut off after 5 s.
        var configuration = ServiceGroupConfiguration(services: [app], logger: Logger(label: "klip.test.scripted-server"))
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        self.group = group
        task = Task { try await group.run() }
        var port = 0
        for await p in stream { port = p; break }
        baseURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    static func envelope(code: Int = 0, message: String = "SUCCEED", data: String? = nil) -> String {
        let d = data.map { ",\"data\":\($0)" } ?? ""
        return "{\"code\":\(code),\"message\":\"\(message)\",\"request_id\":\"req-\(UUID().uuidString.prefix(8))\"\(d)}"
    }

    static func ok(_ data: String) -> Answer { Answer(status: .ok, body: envelope(data: data)) }
    static func error(_ status: HTTPResponse.Status, _ code: Int, _ message: String = "error") -> Answer {
        Answer(status: status, body: envelope(code: code, message: message))
    }
}

func client(for server: ScriptedServer, credentials: KlingConfiguration.Credentials = .apiKey("test-key-123"),
            prefix: String = "/kling/v1", retry: RetryPolicy = .default) -> KlingClient {
    KlingClient(configuration: KlingConfiguration(baseURL: server.baseURL, pathPrefix: prefix,
                                                  credentials: credentials, retry: retry))
}

let taskJSON = #"{"task_id":"842250903629086785","task_status":"submitted","created_at":1722769557708,"updated_at":1722769557708}"#

func taskJSON(_ status: String, msg: String = "", id: String = "842250903629086785") -> String {
    var result = ""
    if status == "succeed" {
        result = #","task_result":{"videos":[{"id":"v1","url":"http://example.invalid/v.mp4","duration":"5.2"}]}"#
    }
    return #"{"task_id":"\#(id)","task_status":"\#(status)","task_status_msg":"\#(msg)","created_at":\#(Int64(Date().timeIntervalSince1970 * 1000)),"updated_at":1722769557708\#(result)}"#
}
