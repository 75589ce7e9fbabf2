import Foundation
import Hummingbird
import KlingAPI
import Logging

/// What each injected fault looks like on the wire. Error answers carry the code's own HTTP
/// status and a `klip-fault` header; a dropped connection is closed without an answer.
extension EmulatorResponder {
    /// The error a connection-level fault throws out of the responder: Hummingbird then
    /// closes the connection (already closed by us) without writing anything more.
    struct InjectedDrop: Error {}

    func inject(_ kind: FaultSpec.Kind, number: UInt64, delay: Duration, request: Request,
                context: Context) async throws -> Response {
        service.logger.info("fault injected", metadata: [
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
            _ = await answer(request, context: context)
            await context.closeConnection()
            throw InjectedDrop()
        case .slow:
            var response = await answer(request, context: context)
            // Not cut short by a graceful stop: the client still gets its (late) answer.
            try? await Task.sleep(for: delay)
            response.headers[Self.faultHeader] = kind.rawValue
            return response
        case .truncate:
            return await truncated(answer(request, context: context), context: context)
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
