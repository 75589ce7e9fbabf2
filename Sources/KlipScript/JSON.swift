import Foundation

/// `kling.json`: tables with keys 1...n are arrays, other tables objects; null decodes to nil.
enum JSON {
    struct Failure: Error { var message: String }

    static func encode(_ v: LuaValue) throws(Failure) -> String {
        var out = ""
        try encode(v, into: &out, depth: 0)
        return out
    }

    private static func encode(_ v: LuaValue, into out: inout String, depth: Int) throws(Failure) {
        guard depth < 100 else { throw Failure(message: "value too deep (a cycle?)") }
        switch v {
        case .nil: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            guard d.isFinite else { throw Failure(message: "cannot encode \(d) as JSON") }
            if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
        case let .string(s): quote(s, into: &out)
        case let .table(pairs):
            let items = v.arrayItems
            if !pairs.isEmpty && items.count == pairs.count {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += "," }
                    try encode(item, into: &out, depth: depth + 1)
                }
                out += "]"
                return
            }
            out += "{"
            var first = true
            for pair in pairs {
                let key: String
                switch pair.key {
                case let .string(s): key = s
                case let .int(i): key = String(i)
                case let .double(d): key = "\(d)"
                default: throw Failure(message: "cannot encode a \(pair.key.typeName) key as JSON")
                }
                if !first { out += "," }
                first = false
                quote(key, into: &out)
                out += ":"
                try encode(pair.value, into: &out, depth: depth + 1)
            }
            out += "}"
        case .ref, .handle: throw Failure(message: "cannot encode a \(v.typeName) as JSON")
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    static func decode(_ text: String) throws(Failure) -> LuaValue {
        var p = Parser(bytes: Array(text.utf8))
        p.skip()
        let v = try p.value(depth: 0)
        p.skip()
        guard p.at == p.bytes.count else { throw p.fail("unexpected text after the value") }
        return v
    }

    struct Parser {
        let bytes: [UInt8]
        var at = 0

        func fail(_ m: String) -> Failure { Failure(message: "\(m) at byte \(at + 1)") }

        mutating func skip() {
            while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
        }

        mutating func literal(_ word: String, _ v: LuaValue) throws(Failure) -> LuaValue {
            let w = Array(word.utf8)
            guard at + w.count <= bytes.count, Array(bytes[at..<(at + w.count)]) == w else { throw fail("invalid literal") }
            at += w.count
            return v
        }

        mutating func value(depth: Int) throws(Failure) -> LuaValue {
            guard depth < 200 else { throw fail("nesting too deep") }
            guard at < bytes.count else { throw fail("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var pairs: [LuaValue.Pair] = []
                skip()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .table(pairs) }
                while true {
                    skip()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let k = try string()
                    skip()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    at += 1
                    skip()
                    let v = try value(depth: depth + 1)
                    if !v.isNil { pairs.append(.init(.string(k), v)) }
                    skip()
                    guard at < bytes.count else { throw fail("unexpected end") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return .table(pairs) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                at += 1
                var pairs: [LuaValue.Pair] = []
                var i: Int64 = 1
                skip()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .table(pairs) }
                while true {
                    skip()
                    let v = try value(depth: depth + 1)
                    if !v.isNil { pairs.append(.init(.int(i), v)) }
                    i += 1
                    skip()
                    guard at < bytes.count else { throw fail("unexpected end") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return .table(pairs) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .nil)
            default: return try number()
            }
        }

        mutating func number() throws(Failure) -> LuaValue {
            let start = at
            while at < bytes.count, "+-0123456789.eE".utf8.contains(bytes[at]) { at += 1 }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text), !text.isEmpty { return .double(d) }
            at = start
            throw fail("invalid value")
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else {
                throw fail("bad \\u escape")
            }
            at += 4
            return v
        }

        mutating func string() throws(Failure) -> String {
            at += 1
            var out: [UInt8] = []
            while true {
                guard at < bytes.count else { throw fail("unterminated string") }
                let c = bytes[at]
                at += 1
                if c == UInt8(ascii: "\"") { break }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard at < bytes.count else { throw fail("unterminated string") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if (0xD800..<0xDC00).contains(v), at + 6 <= bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let lo = try hex4()
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo &- 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
