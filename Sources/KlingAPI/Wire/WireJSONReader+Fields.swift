/// Reading the field shapes `JSONValue.swift`'s `KeyedDecodingContainer` helpers accept.
extension WireJSONReader {
    /// `decodeIDIfPresent`: a string, or an integer written exactly; `null` is absent.
    mutating func id() throws(Unsupported) -> String? {
        switch try peek() {
        case UInt8(ascii: "n"): try _ = null(); return nil
        case UInt8(ascii: "\""): return try string()
        default:
            let number = try number()
            if let i = try? number.int64() { return String(i) }
            return String(try number.uint64())
        }
    }

    /// `decodeMillisIfPresent`: an integer, a number (truncated) or a numeric string.
    mutating func millis() throws(Unsupported) -> Int64? {
        switch try peek() {
        case UInt8(ascii: "n"): try _ = null(); return nil
        case UInt8(ascii: "\""):
            guard let ms = Int64(try string()) else { throw Unsupported() }
            return ms
        default:
            let number = try number()
            if let i = try? number.int64() { return i }
            let d = try number.double()
            guard d.magnitude < 9.2e18 else { throw Unsupported() }
            return Int64(d)
        }
    }

    /// `TaskVideo.duration`: a string, or a number as `String(Double)`; anything else is "".
    mutating func duration() throws(Unsupported) -> String {
        switch try peek() {
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return String(try number().double())
        default: try skip(); return ""
        }
    }
}

extension JSONValue: WireJSONDecodable {
    /// As `init(from:)` tries them: an integer that fits Int64, else a double. A number it
    /// might read either way (`1.0`, `1e3`) is left to `JSONDecoder`.
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        switch try json.peek() {
        case UInt8(ascii: "n"): try _ = json.null(); self = .null
        case UInt8(ascii: "t"), UInt8(ascii: "f"): self = .bool(try json.bool())
        case UInt8(ascii: "\""): self = .string(try json.string())
        case UInt8(ascii: "["): self = .array(try [JSONValue](wire: &json))
        case UInt8(ascii: "{"):
            var object: [String: JSONValue] = [:]
            try json.object { (json, key) throws(WireJSONReader.Unsupported) in
                object[try WireJSONReader.text(key.bytes)] = try JSONValue(wire: &json)
            }
            self = .object(object)
        default:
            let number = try json.number()
            guard number.isPlainInteger else { throw WireJSONReader.Unsupported() }
            self = .int(try number.int64())
        }
    }
}
