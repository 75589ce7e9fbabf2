import Foundation
import Hummingbird
import Logging

/// A tiny Hummingbird server for tests: records POSTed bodies (callbacks) and serves files.
final class LocalServer: Sendable {
    struct Delivery: Sendable {
        var body: Data
        var headers: [String: String]
    }

    actor Inbox {
        var deliveries: [Delivery] = []
        func add(_ d: Delivery) { deliveries.append(d) }
    }

    let inbox = Inbox()
    let task: Task<Void, any Error>
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }

    /// `files` maps a URL path (`/media/face.mp4`) to a local file.
    init(files: [String: String] = [:], failing: Bool = false) async throws {
        let router = Router()
        let inbox = inbox
        router.post("/hook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            await inbox.add(Delivery(body: Data(body.readableBytesView), headers: headers))
            return Response(status: failing ? .internalServerError : .ok)
        }
        router.get("/media/:name") { request, context -> Response in
            guard let file = files[request.uri.path] else { return Response(status: .notFound) }
            return Response(status: .ok, body: try await FileIO().loadFile(path: file, context: context))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "klip.test.local-server")
        logger.logLevel = .critical
        let app = Application(router: router,
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0); continuation.finish() },
                              logger: logger)
        task = Task { try await app.run() }
        var port = 0
        for await p in stream { port = p }
        self.port = port
    }

    func deliveries() async -> [Delivery] { await inbox.deliveries }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}
