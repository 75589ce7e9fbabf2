import NIOCore

/// A request body written straight into the buffer it is sent from. `JSONEncoder` escapes
/// a string character by character, and the create's Base64 sound is 275 KB of them on
/// every create (perf put JSONWriter.serializeString at the top of `klip run`'s profile);
/// text that needs no escaping (all Base64 does) is copied whole here.
public protocol WireJSONEncodable: Encodable, Sendable {
    func write(to json: inout WireJSON) throws(KlingError)
    /// About how many bytes `write` makes, so the buffer is allocated once, not doubled
    /// (and copied) ten times on the way to a create's 275 KB.
    var wireSizeHint: Int { get }
}

extension WireJSONEncodable {
    public var wireSizeHint: Int { 512 }

    /// The body as `JSONEncoder` would give it, in meaning (field for field).
    public func wireJSON() throws(KlingError) -> ByteBuffer {
        var json = WireJSON(capacity: wireSizeHint)
        try write(to: &json)
        return json.buffer
    }
}

public struct WireJSON {
    public private(set) var buffer: ByteBuffer
    private var needsComma = false

    public init(capacity: Int = 512) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    public mutating func object(_ body: (inout WireJSON) throws(KlingError) -> Void) throws(KlingError) {
        open(UInt8(ascii: "{"))
        try body(&self)
        close(UInt8(ascii: "}"))
    }

    public mutating func array<S: Sequence>(_ items: S, _ body: (inout WireJSON, S.Element) throws(KlingError) -> Void) throws(KlingError) {
        open(UInt8(ascii: "["))
        for item in items { try body(&self, item) }  // each value writes its own comma
        close(UInt8(ascii: "]"))
    }

    /// `"name":` (a key is always plain ASCII here).
    public mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    public mutating func string(_ text: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        if Self.needsNoEscaping(text) {
            buffer.writeString(text)
        } else {
            for byte in text.utf8 { escape(byte) }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int) {
        separate()
        buffer.writeString(String(value))
    }

    public mutating func double(_ value: Double, field: String) throws(KlingError) {
        guard value.isFinite else { throw .validation(field, "must be a finite number; got \(value)") }
        separate()
        buffer.writeString(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
    }

    private mutating func open(_ byte: UInt8) {
        separate()
        buffer.writeInteger(byte)
        needsComma = false
    }

    private mutating func close(_ byte: UInt8) {
        buffer.writeInteger(byte)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = true
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
        case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
        case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
        case 0..<0x20:
            buffer.writeStaticString("\\u00")
            buffer.writeString(Hex.lowercase(CollectionOfOne(byte)))
        default: buffer.writeInteger(byte)
        }
    }

    /// UTF-8 other than quotes, backslashes and control characters goes out as it is.
    static func needsNoEscaping(_ text: String) -> Bool {
        if text.utf8.count >= SoundFileMemo.threshold, SoundFileMemo.isBase64(text) { return true }
        return !text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }
}
