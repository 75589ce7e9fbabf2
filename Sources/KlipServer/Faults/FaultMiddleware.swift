import Foundation
import Hummingbird
import KlingAPI
import Logging

/// `--faults` on the API prefixes: each request draws its fault from the injector. Error
/// answers carry the code's own HTTP status and a `klip-fault` header; a dropped connection
/// is closed without an answer. Sits outside the envelope, so `next` answers in it.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let injector: FaultInjector
    let logger: Logger

    /// The error a connection-level fault throws out of the responder: Hummingbird then
    /// closes the connection (already closed by us) without writing anything more.
    struct InjectedDrop: Error {}

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if EmulatorRoutes.prefixes.contains(where: { path.hasPrefix("\($0)/") }) {
            let (number, kind) = injector.next()
            if let kind {
                return try await inject(kind, number: number, request: request, context: context) {
                    try await next(request, context)
                }
            }
        }
        return try await next(request, context)
    }

    private func inject(_ kind: FaultSpec.Kind, number: UInt64, request: Request, context: Context,
                        answer: () async throws -> Response) async throws -> Response {
        logger.info("fault injected", metadata: [
            "fault": "\(kind.rawValue)", "request": "\(number)", "method": "\(request.method)", "path": "\(request.uri.path)",
        ])
        switch kind {
        case .internalError, .unavailable, .timeout, .rateLimited, .tooManyParallel:
            var response = Reply.failure(Self.failure(kind))
            response.headers[Self.faultHeader] = kind.rawValue
            return response
        case .dropBefore:
            await context.closeConnection()
            throw InjectedDrop()
        case .dropAfter:
            _ = try? await answer()
            await context.closeConnection()
            throw InjectedDrop()
        case .slow:
            var response = try await answer()
            // Not cut short by a graceful stop: the client still gets its (late) answer.
            try? await Task.sleep(for: injector.spec.slowDelay)
            response.headers[Self.faultHeader] = kind.rawValue
            return response
        case .truncate:
            return try await truncated(answer(), context: context)
        }
    }

    static let faultHeader = HTTPFields.Element.Name("klip-fault")!

    static func failure(_ kind: FaultSpec.Kind) -> APIFailure {
        let why = "(injected by --faults)"
        switch kind {
        case .internalError: return .init(code: .internalError, status: .internalServerError, message: "internal error \(why)")
        case .unavailable: return .init(code: .unavailable, status: .serviceUnavailable, message: "service temporarily unavailable \(why)")
        case .timeout: return .init(code: .internalTimeout, status: .gatewayTimeout, message: "internal timeout \(why)")
        case .rateLimited: return .init(code: .rateLimited, status: .tooManyRequests, message: "rate limit exceeded \(why); retry with backoff")
        default: return .init(code: .tooManyParallelTasks, status: .tooManyRequests, message: "too many parallel tasks \(why); retry after one ends")
        }
    }

    /// The answer's head (with its full Content-Length) and the first half of its body, then
    /// the connection closes: the client sees a body that ends early.
    func truncated(_ response: Response, context: Context) async -> Response {
        let box = CollectedBody()
        try? await response.body.write(CollectingWriter(box: box))
        let bytes = box.buffer
        let half = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2) ?? ByteBuffer()
        var headers = response.headers
        headers[.contentLength] = String(bytes.readableBytes)
        headers[Self.faultHeader] = FaultSpec.Kind.truncate.rawValue
        let close = context.closeConnection
        return Response(status: response.status, headers: headers, body: ResponseBody(contentLength: bytes.readableBytes) { writer in
            try await writer.write(half)
            await close()
            throw InjectedDrop()
        })
    }
}

/// Gathers a response body in memory (ours are small JSON envelopes).
private final class CollectedBody {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let box: CollectedBody
    mutating func write(_ buffer: ByteBuffer) async throws {
        var part = buffer
        box.buffer.writeBuffer(&part)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
