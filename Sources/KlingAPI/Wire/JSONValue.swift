import Foundation

/// Any JSON value, for fields whose shape Kling does not document (billing figures)
/// so they decode and re-encode exactly as they came.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .int(i): try c.encode(i)
        case let .double(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes an id that must stay a string. A server that sends a number gets it
    /// converted exactly (as an integer), never through a Double.
    func decodeID(forKey key: Key) throws -> String {
        if let s = try? decode(String.self, forKey: key) { return s }
        if let i = try? decode(Int64.self, forKey: key) { return String(i) }
        if let u = try? decode(UInt64.self, forKey: key) { return String(u) }
        return try decode(String.self, forKey: key) // throws the descriptive error
    }

    func decodeIDIfPresent(forKey key: Key) throws -> String? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeID(forKey: key)
    }

    /// Milliseconds may arrive as a number or a numeric string.
    func decodeMillisIfPresent(forKey key: Key) throws -> Int64? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let i = try? decode(Int64.self, forKey: key) { return i }
        if let d = try? decode(Double.self, forKey: key) {
            // Int64(d) traps outside its range: a hostile answer must not end the process.
            guard d.magnitude < 9.2e18 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a time in ms: \(d)")
            }
            return Int64(d)
        }
        let s = try decode(String.self, forKey: key)
        guard let i = Int64(s) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a time in ms: \(s)")
        }
        return i
    }
}
