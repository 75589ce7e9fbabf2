import Foundation
import Hummingbird
import Logging

/// Every request comes through here: the same routes under `/kling/v1` and `/v1`, the files
/// under `/files/`, and the envelope on every API answer (unknown routes included).
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext
    let service: Service
    /// `--faults`: nil when none are configured.
    let faults: FaultInjector?

    static let prefixes = ["/kling/v1/", "/v1/"]

    func respond(to request: Request, context: Context) async throws -> Response {
        if let faults, Self.prefixes.contains(where: { request.uri.path.hasPrefix($0) }) {
            let (number, kind) = faults.next()
            if let kind {
                return try await inject(kind, number: number, delay: faults.spec.slowDelay, request: request, context: context)
            }
        }
        return await answer(request, context: context)
    }

    /// The answer without faults: every failure in Kling's envelope.
    func answer(_ request: Request, context: Context) async -> Response {
        do {
            return try await route(request, context: context)
        } catch let failure as APIFailure {
            return Reply.failure(failure)
        } catch {
            service.logger.error("internal error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Reply.failure(.internalError())
        }
    }

    private func route(_ request: Request, context: Context) async throws -> Response {
        var path = request.uri.path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let method = request.method

        if path.hasPrefix("/files/") {
            guard method == .get || method == .head else { throw APIFailure.unknownRoute(method, path) }
            return try await FileServer.serve(String(path.dropFirst("/files/".count)), head: method == .head,
                                              root: service.layout.publicRoot, context: context)
        }
        guard let prefix = Self.prefixes.first(where: { path.hasPrefix($0) }) else {
            throw APIFailure.unknownRoute(method, path)
        }
        let rest = path.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)

        switch (method, parts.count, parts.first.map(String.init), parts.dropFirst().first.map(String.init)) {
        case (.post, 2, "videos", "identify-face"):
            try authorize(request)
            return try await service.identifyFace(request)
        case (.post, 2, "videos", "advanced-lip-sync"):
            try authorize(request)
            return try await service.createTask(request)
        case (.get, 2, "videos", "advanced-lip-sync"):
            try authorize(request)
            return try await service.listTasks(request)
        case (.get, 3, "videos", "advanced-lip-sync") where !parts[2].isEmpty:
            try authorize(request)
            let id = String(parts[2]).removingPercentEncoding ?? String(parts[2])
            return try await service.queryTask(id, request: request)
        default:
            throw APIFailure.unknownRoute(method, path)
        }
    }

    private func authorize(_ request: Request) throws(APIFailure) {
        try service.auth.check(request.headers[.authorization])
    }
}

/// Hummingbird's basic context plus a way to close the connection, for injected faults.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Closes this request's connection (and waits until it is closed).
    let closeConnection: @Sendable () async -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        closeConnection = { try? await channel.close().get() }
    }
}
