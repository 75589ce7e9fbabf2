import CLuaGlue

/// The byte encoding the C glue converts to and from Lua values (tags in CLuaGlue.h).
/// Swift never pushes onto a Lua stack itself: pushing can raise.
enum LuaCodec {
    static func encode(_ values: [LuaValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for v in values { encode(v, into: &out) }
        return out
    }

    static func encode(_ value: LuaValue, into out: inout [UInt8]) {
        switch value {
        case .nil: out.append(UInt8(KLIP_V_NIL))
        case let .bool(b): out.append(UInt8(b ? KLIP_V_TRUE : KLIP_V_FALSE))
        case let .int(i):
            out.append(UInt8(KLIP_V_INT))
            withUnsafeBytes(of: i.littleEndian) { out.append(contentsOf: $0) }
        case let .double(d):
            out.append(UInt8(KLIP_V_DOUBLE))
            withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case let .string(s):
            out.append(UInt8(KLIP_V_STRING))
            var s = s
            s.withUTF8 { bytes in
                withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: bytes)
            }
        case let .table(pairs):
            out.append(UInt8(KLIP_V_TABLE))
            for pair in pairs where !pair.value.isNil {
                encode(pair.key, into: &out)
                encode(pair.value, into: &out)
            }
            out.append(UInt8(KLIP_V_END))
        case let .ref(r):
            out.append(UInt8(KLIP_V_REF))
            withUnsafeBytes(of: r.littleEndian) { out.append(contentsOf: $0) }
        case .handle:
            out.append(UInt8(KLIP_V_NIL)) // handles only travel from Lua to Swift
        }
    }

    /// A table with the named registry metatable (e.g. "klip.error").
    static func encode(table: LuaValue, metatable: String, into out: inout [UInt8]) {
        encode(table, into: &out)
        out.append(UInt8(KLIP_V_META))
        var name = metatable
        name.withUTF8 { bytes in
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: bytes)
        }
    }

    struct Reader {
        var bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }
        // Plain loads, not a generic: debug builds do not specialise generics.
        mutating func u32() -> UInt32? {
            guard at + 4 <= bytes.count, let base = bytes.baseAddress else { return nil }
            defer { at += 4 }
            return UInt32(littleEndian: UnsafeRawPointer(base + at).loadUnaligned(as: UInt32.self))
        }
        mutating func u64() -> UInt64? {
            guard at + 8 <= bytes.count, let base = bytes.baseAddress else { return nil }
            defer { at += 8 }
            return UInt64(littleEndian: UnsafeRawPointer(base + at).loadUnaligned(as: UInt64.self))
        }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [LuaValue] {
        var out: [LuaValue] = []
        _ = decode(bytes, over: &out)
        return out
    }

    /// Decodes over `out`'s elements, reusing its storage: a binding call that keeps nothing
    /// allocates nothing for its arguments (a binding that keeps them shares the buffer, and
    /// the next call copies on write). Overwriting in place is what makes the trivial call
    /// cheap: emptying an array of enums first costs more than the call's own work. Returns
    /// whether a value holds memory (a table, a string too long for Swift's inline small
    /// form), which the caller lets go of after the call.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, over out: inout [LuaValue]) -> Bool {
        var r = Reader(bytes: bytes)
        var n = 0
        var holdsMemory = false
        while r.at < bytes.count {
            guard let v = value(&r) else { break }
            switch v {
            case let .string(s) where s.utf8.count > 15: holdsMemory = true // else held inline
            case .table: holdsMemory = true
            default: break
            }
            if n < out.count { out[n] = v } else { out.append(v) }
            n += 1
        }
        if n < out.count { out.removeLast(out.count - n) }
        return holdsMemory
    }

    /// nil at the end marker or on malformed input.
    private static func value(_ r: inout Reader) -> LuaValue? {
        guard let tag = r.byte() else { return nil }
        switch Int(tag) {
        case KLIP_V_NIL: return .nil
        case KLIP_V_FALSE: return .bool(false)
        case KLIP_V_TRUE: return .bool(true)
        case KLIP_V_INT: return r.u64().map { .int(Int64(bitPattern: $0)) }
        case KLIP_V_DOUBLE: return r.u64().map { .double(Double(bitPattern: $0)) }
        case KLIP_V_STRING:
            guard let n = r.u32(), r.at + Int(n) <= r.bytes.count else { return nil }
            let s = String(decoding: UnsafeBufferPointer(rebasing: r.bytes[r.at..<(r.at + Int(n))]), as: UTF8.self)
            r.at += Int(n)
            return .string(s)
        case KLIP_V_TABLE:
            var pairs: [LuaValue.Pair] = []
            while true {
                guard let k = value(&r) else { break }
                guard let v = value(&r) else { break }
                pairs.append(.init(k, v))
            }
            return .table(pairs)
        case KLIP_V_REF: return r.u32().map { .ref(Int32(bitPattern: $0)) }
        case KLIP_V_HANDLE: return r.u64().map { .handle(UInt($0)) }
        default: return nil
        }
    }
}
