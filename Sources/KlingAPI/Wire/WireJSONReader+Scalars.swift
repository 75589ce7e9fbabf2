extension WireJSONReader {
    /// A string's bytes between its quotes; compared with a key without making a String.
    public struct Key {
        let bytes: UnsafeRawBufferPointer
        let escaped: Bool

        public static func == (key: Key, name: StaticString) -> Bool {
            key.bytes.elementsEqual(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
    }

    /// A number as written, converted on demand. Only JSON's grammar is accepted, and an
    /// integer only when it has no fraction or exponent: what `JSONDecoder` does with `1.0`
    /// or `1e3` where an integer is asked for is left to it.
    public struct Number {
        let text: UnsafeRawBufferPointer

        public func int64() throws(Unsupported) -> Int64 {
            guard isPlainInteger, let value = Int64(String(decoding: text, as: UTF8.self)) else { throw Unsupported() }
            return value
        }

        public func uint64() throws(Unsupported) -> UInt64 {
            guard isPlainInteger, let value = UInt64(String(decoding: text, as: UTF8.self)) else { throw Unsupported() }
            return value
        }

        public func double() throws(Unsupported) -> Double {
            guard isJSONNumber, let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { throw Unsupported() }
            return value
        }

        var isPlainInteger: Bool {
            let digits = text.first == UInt8(ascii: "-") ? UnsafeRawBufferPointer(rebasing: text.dropFirst()) : text
            guard let first = digits.first, digits.allSatisfy(Self.isDigit) else { return false }
            return first != UInt8(ascii: "0") || digits.count == 1
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        var isJSONNumber: Bool {
            var i = text.startIndex
            func digits() -> Int {
                let start = i
                while i < text.endIndex, Self.isDigit(text[i]) { i += 1 }
                return i - start
            }
            if i < text.endIndex, text[i] == UInt8(ascii: "-") { i += 1 }
            let whole = i
            guard digits() > 0, text[whole] != UInt8(ascii: "0") || i - whole == 1 else { return false }
            if i < text.endIndex, text[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { return false }
            }
            if i < text.endIndex, text[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < text.endIndex, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { return false }
            }
            return i == text.endIndex
        }

        private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    }

    /// Text with no escapes: ASCII as it is, anything else only if it is valid UTF-8.
    static func text(_ bytes: UnsafeRawBufferPointer) throws(Unsupported) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Unsupported() }
        return text
    }

    /// JSON's escapes, a surrogate pair as one character; a lone surrogate is left to `JSONDecoder`.
    static func unescape(_ bytes: UnsafeRawBufferPointer) throws(Unsupported) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex4() throws(Unsupported) -> UInt32 {
            let digits = i + 4 <= bytes.count ? bytes[i..<i + 4] : bytes[i..<i]
            guard digits.count == 4, digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
                  let v = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else { throw Unsupported() }
            i += 4
            return v
        }
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard i < bytes.count else { throw Unsupported() }
            let kind = bytes[i]
            i += 1
            switch kind {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(kind)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { throw Unsupported() }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Unsupported() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw Unsupported() }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default: throw Unsupported()
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw Unsupported() }
        return text
    }
}
