import Foundation
import Hummingbird
import KlingAPI

/// Builds every answer in Kling's envelope with a fresh `request_id`.
enum Reply {
    static func requestID() -> String { UUID().uuidString.lowercased() }

    static func success<T: Codable & Sendable>(_ data: T) -> Response {
        json(Envelope(code: 0, message: "SUCCEED", requestID: requestID(), data: data), status: .ok)
    }

    static func failure(_ failure: APIFailure) -> Response {
        json(Envelope<NoData>(code: failure.code.rawValue, message: failure.message, requestID: requestID(), data: nil),
             status: failure.status)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail; fall back to a fixed 5000 rather than crash.
        let body = (try? encoder.encode(value))
            ?? Data(#"{"code":5000,"message":"internal error: could not encode the answer","request_id":"\#(requestID())"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
