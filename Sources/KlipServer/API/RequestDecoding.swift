import Foundation
import Hummingbird

/// Body reading and JSON decoding with Kling's codes: 1200 for a body that is not a JSON
/// object (or too large), 1201 naming the field for a missing or mistyped field.
enum RequestDecoding {
    static func body(_ request: Request, limit: Int) async throws(APIFailure) -> Data {
        let limitText = byteCount(limit)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw .invalidRequest("the body is \(length) bytes; the limit is \(limitText)")
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch {
            throw .invalidRequest("the body is larger than the limit of \(limitText)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(APIFailure) -> T {
        if data.isEmpty { throw .invalidRequest("the body is empty; expected a JSON object") }
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) is [String: Any] else {
            throw .invalidRequest("the body is not a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case let .keyNotFound(key, context):
                throw .invalidParameter(path(context.codingPath + [key]), "is required")
            case let .typeMismatch(expected, context):
                throw .invalidParameter(path(context.codingPath), "has the wrong type; expected \(typeName(expected))")
            case let .valueNotFound(expected, context):
                throw .invalidParameter(path(context.codingPath), "must not be null; expected \(typeName(expected))")
            case let .dataCorrupted(context):
                if context.codingPath.isEmpty {
                    if let misfit = IntegerMisfit.find(T.self, in: data) { throw .invalidParameter(misfit.path, misfit.message) }
                    throw .invalidRequest("the body is not valid JSON")
                }
                throw .invalidParameter(path(context.codingPath), context.debugDescription)
            @unknown default:
                throw .invalidRequest("the body could not be decoded")
            }
        } catch {
            throw .invalidRequest("the body could not be decoded")
        }
    }

    /// `face_choose[0].sound_end_time`
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "request" : text
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        // Before the Collection test: JSONDecoder names an object `[String: Any]`, a Collection too.
        case is [String: Any].Type: "an object"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }

    static func byteCount(_ n: Int) -> String {
        n % (1 << 20) == 0 ? "\(n >> 20) MB" : "\(n) bytes"
    }
}
