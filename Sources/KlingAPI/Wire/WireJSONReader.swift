/// The reading half of `WireJSON`: an answer read straight from the bytes it came in.
/// `JSONDecoder` builds a container, a key table and generic metadata per object, and a
/// thousand tasks' answers put it at 9% of `klip run`'s profile. An answer type conforming
/// here reads its known fields and skips the rest; anything it cannot be sure of reading the
/// way its `Decodable` init would (an escaped key, a number that is not a plain integer where
/// an id is expected) throws `Unsupported`, and the caller decodes with `JSONDecoder` instead,
/// which then gives the same value or the same error as ever.
public protocol WireJSONDecodable: Decodable, Sendable {
    init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported)
}

extension WireJSONDecodable {
    /// The value from a whole document, or nil when `JSONDecoder` must decide.
    static func fromWire(_ bytes: UnsafeRawBufferPointer) -> Self? {
        var json = WireJSONReader(bytes)
        guard let value = try? Self(wire: &json), (try? json.end()) != nil else { return nil }
        return value
    }
}

public struct WireJSONReader {
    /// Not read here: decode with `JSONDecoder`.
    public struct Unsupported: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    /// Objects and arrays open around the value being read; deeper nesting than `JSONDecoder`
    /// allows (512) is left to it, so a hostile answer cannot exhaust the stack here.
    private var depth = 0
    static let maxDepth = 512
    /// The keys of the objects open now, innermost last. A key given twice is left to
    /// `JSONDecoder` (it does not keep the last one, as this reader would); so is an object
    /// wider than `maxKeys`, since finding twins here costs the square of its width.
    private var keys: [UnsafeRawBufferPointer] = []
    static let maxKeys = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Calls `field` with each key of an object; `field` must read or skip the value.
    public mutating func object(_ field: (inout WireJSONReader, Key) throws(Unsupported) -> Void) throws(Unsupported) {
        try expect(UInt8(ascii: "{"))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") { at += 1; return }
        let first = keys.count
        defer { keys.removeSubrange(first...) }
        repeat {
            let key = try rawString()
            guard keys.count - first < Self.maxKeys, !keys[first...].contains(where: { $0.elementsEqual(key.bytes) }) else {
                throw Unsupported()
            }
            keys.append(key.bytes)
            // An escaped key may spell a known one, and JSONDecoder refuses a document whose
            // keys are not UTF-8: every key Kling sends is plain ASCII, anything else is left to it.
            guard !key.escaped, key.bytes.allSatisfy({ $0 < 0x80 }) else { throw Unsupported() }
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
        } while try separator(closing: UInt8(ascii: "}"))
    }

    public mutating func array(_ element: (inout WireJSONReader) throws(Unsupported) -> Void) throws(Unsupported) {
        try expect(UInt8(ascii: "["))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "]") { at += 1; return }
        repeat { try element(&self) } while try separator(closing: UInt8(ascii: "]"))
    }

    /// Consumes a `null` and says so; anything else is left to be read.
    public mutating func null() throws(Unsupported) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    public mutating func string() throws(Unsupported) -> String {
        let raw = try rawString()
        return raw.escaped ? try Self.unescape(raw.bytes) : try Self.text(raw.bytes)
    }

    public mutating func bool() throws(Unsupported) -> Bool {
        if try peek() == UInt8(ascii: "t") { try literal("true"); return true }
        try literal("false")
        return false
    }

    /// A number's text, as it is written.
    public mutating func number() throws(Unsupported) -> Number {
        _ = try peek()
        let start = at
        while at < bytes.count, Self.isNumberByte(bytes[at]) { at += 1 }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<at])
        guard !text.isEmpty else { throw Unsupported() }
        return Number(text: text)
    }

    /// Skips one value of any kind, checking it is well formed.
    public mutating func skip() throws(Unsupported) {
        switch try peek() {
        case UInt8(ascii: "{"): try object { (json, _) throws(Unsupported) in try json.skip() }
        case UInt8(ascii: "["): try array { (json) throws(Unsupported) in try json.skip() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number().double()
        }
    }

    /// The peeked byte says which kind of value comes next.
    public mutating func peek() throws(Unsupported) -> UInt8 {
        while at < bytes.count, Self.isSpace(bytes[at]) { at += 1 }
        guard at < bytes.count else { throw Unsupported() }
        return bytes[at]
    }

    /// After the document's value: nothing but white space.
    mutating func end() throws(Unsupported) {
        while at < bytes.count, Self.isSpace(bytes[at]) { at += 1 }
        guard at == bytes.count else { throw Unsupported() }
    }

    private mutating func enter() throws(Unsupported) {
        depth += 1
        guard depth < Self.maxDepth else { throw Unsupported() }
    }

    private mutating func expect(_ byte: UInt8) throws(Unsupported) {
        guard try peek() == byte else { throw Unsupported() }
        at += 1
    }

    /// `,` (another item follows) or `closing` (the end).
    private mutating func separator(closing: UInt8) throws(Unsupported) -> Bool {
        let byte = try peek()
        at += 1
        if byte == UInt8(ascii: ",") { return true }
        guard byte == closing else { throw Unsupported() }
        return false
    }

    private mutating func literal(_ word: StaticString) throws(Unsupported) {
        let word = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard at + word.count <= bytes.count, word.elementsEqual(bytes[at..<at + word.count]) else { throw Unsupported() }
        at += word.count
    }

    /// A string's bytes between its quotes, not yet unescaped.
    private mutating func rawString() throws(Unsupported) -> Key {
        try expect(UInt8(ascii: "\""))
        let start = at
        var escaped = false
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                at += 1
                return Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<at - 1]), escaped: escaped)
            }
            guard byte >= 0x20 else { throw Unsupported() }
            if byte == UInt8(ascii: "\\") { escaped = true; at += 1 }
            at += 1
        }
        throw Unsupported()
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }
}
