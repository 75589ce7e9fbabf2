/// A Lua value as Swift sees it: copied out of the state by the C glue, never a live
/// reference except `ref` (a registry slot the glue holds) and `handle` (a spawn handle).
public enum LuaValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    /// Key/value pairs in the order Lua's `next` gave them.
    case table([Pair])
    /// A value Swift does not copy (function, foreign userdata, thread): a registry reference.
    case ref(Int32)
    /// A `kling.spawn` handle: the host object's address.
    case handle(UInt)

    public struct Pair: Sendable, Equatable {
        public var key: LuaValue
        public var value: LuaValue
        public init(_ key: LuaValue, _ value: LuaValue) { self.key = key; self.value = value }
    }

    /// A table with string keys, in the given order.
    public static func record(_ fields: [(String, LuaValue)]) -> LuaValue {
        .table(fields.filter { $0.1 != .nil }.map { Pair(.string($0.0), $0.1) })
    }

    /// A sequence 1...n.
    public static func array(_ items: [LuaValue]) -> LuaValue {
        .table(items.enumerated().map { Pair(.int(Int64($0.offset + 1)), $0.element) })
    }

    public subscript(key: String) -> LuaValue {
        guard case let .table(pairs) = self else { return .nil }
        for pair in pairs { if case let .string(k) = pair.key, k == key { return pair.value } }
        return .nil
    }

    public subscript(index: Int) -> LuaValue {
        guard case let .table(pairs) = self else { return .nil }
        for pair in pairs {
            switch pair.key {
            case let .int(k) where k == Int64(index): return pair.value
            case let .double(k) where k == Double(index): return pair.value
            default: continue
            }
        }
        return .nil
    }

    /// The sequence part 1...n (stops at the first nil), as `ipairs` sees it.
    public var arrayItems: [LuaValue] {
        guard case let .table(pairs) = self else { return [] }
        var byIndex: [Int64: LuaValue] = [:]
        for pair in pairs { if case let .int(k) = pair.key, k >= 1 { byIndex[k] = pair.value } }
        var out: [LuaValue] = []
        var i: Int64 = 1
        while let v = byIndex[i] { out.append(v); i += 1 }
        return out
    }

    public var isNil: Bool { if case .nil = self { return true } else { return false } }
    public var isTable: Bool { if case .table = self { return true } else { return false } }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }

    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .table: return "table"
        case .ref: return "function or userdata"
        case .handle: return "handle"
        }
    }
}
