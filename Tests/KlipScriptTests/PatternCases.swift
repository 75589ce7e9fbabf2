import Foundation

/// A seeded generator (SplitMix64): the same cases on every run, so a failure reproduces.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random subjects, patterns and replacements for the differential test of klip's pattern
/// matcher against lua5.4, as Lua calls (`C("find", s, p, init, plain)`): each covers one of
/// the four functions with its optional arguments, and some patterns are malformed.
struct PatternCases {
    var rng: SeededRandom

    private mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &rng)! }
    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    private mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }

    static let subjectBytes: [UInt8] = Array("aabbcab 12()[]AB.-_%,\n\t".utf8) + [0, 0xE9]

    mutating func subject() -> [UInt8] {
        (0..<int(0...14)).map { _ in pick(Self.subjectBytes) }
    }

    private mutating func set() -> String {
        var s = chance(0.3) ? "[^" : "["
        for _ in 0..<int(1...3) {
            s += pick(["a", "b", "c", "]", "-", "^", "a-c", "0-9", "A-Z", "%d", "%a", "%s", "%]", "%-", "%W", ".", "(", "z-a"])
        }
        return s + "]"
    }

    /// One single-character class, as the manual's "single character class".
    private mutating func singleClass() -> String {
        switch int(0...9) {
        case 0...2: return pick(["a", "b", "c", "a", "1", " ", "A"])
        case 3: return pick(["%.", "%%", "%(", "%)", "%[", "%]", "%-", "%$", "%^", "%z", "%,"])
        case 4: return "."
        case 5...7: return "%" + pick(["a", "c", "d", "g", "l", "p", "s", "u", "w", "x", "A", "C", "D", "G", "L", "P", "S", "U", "W", "X"])
        default: return set()
        }
    }

    private mutating func item(depth: Int, quantified: inout Int) -> String {
        switch int(0...19) {
        case 0: return pick(["%b()", "%b[]", "%bab", "%baa"])
        case 1: return "%f" + pick(["[%a]", "[%A]", "[%s]", "[ab]", "[^a]", "[%w_]", "[%z]"])
        case 2: return pick(["%1", "%2", "%1"])
        case 3: return "()"
        case 4 where depth < 2, 5 where depth < 2:
            return "(" + sequence(depth: depth + 1, items: int(0...3), quantified: &quantified) + ")"
        default:
            let c = singleClass()
            guard quantified < 4, chance(0.45) else { return c }
            quantified += 1
            return c + pick(["*", "+", "-", "?"])
        }
    }

    private mutating func sequence(depth: Int, items: Int, quantified: inout Int) -> String {
        (0..<items).map { _ in item(depth: depth, quantified: &quantified) }.joined()
    }

    static let malformed = ["%", "[a", "[", "[^", "(", ")", "%b", "%ba", "%f", "%fa", "%9", "%0", "[%", "(()", "[a-"]

    mutating func pattern() -> [UInt8] {
        var quantified = 0
        var p = sequence(depth: 0, items: int(0...5), quantified: &quantified)
        if chance(0.1) { p.insert(contentsOf: pick(["$", "^", "\0", "a$b"]), at: p.index(p.startIndex, offsetBy: int(0...p.count))) }
        if chance(0.25) { p = "^" + p }
        if chance(0.2) { p += "$" }
        if chance(0.08) { p += pick(Self.malformed) }
        return Array(p.utf8)
    }

    mutating func replacement() -> [UInt8] {
        let pieces = ["x", "<", ">", "%0", "%1", "%2", "%%", "-", "%0%1"] + (chance(0.1) ? ["%", "%a", "%9"] : [])
        return Array((0..<int(0...3)).map { _ in pick(pieces) }.joined().utf8)
    }

    private mutating func initArgument() -> String {
        chance(0.6) ? "nil" : String(pick([int(-16...16), int(-3...3), 100, -100, 0]))
    }

    /// One call as Lua source.
    mutating func call() -> String {
        let s = Self.literal(subject()), p = Self.literal(pattern())
        switch int(0...9) {
        case 0, 1: return "C(\"find\", \(s), \(p), \(initArgument()), \(pick(["nil", "nil", "true", "false"])))"
        case 2: return "C(\"mfind\", \(s), \(p), \(initArgument()))"
        case 3, 4: return "C(\"match\", \(s), \(p), \(initArgument()))"
        case 5, 6: return "C(\"gmatch\", \(s), \(p), \(initArgument()))"
        default:
            let max = chance(0.7) ? "nil" : String(int(-1...3))
            let kind = pick(["string", "string", "table", "function"])
            let repl = kind == "string" ? Self.literal(replacement()) : (kind == "table" ? "T" : "F")
            return "C(\"gsub\", \(s), \(p), \(repl), \(max))"
        }
    }

    /// A Lua string literal of any bytes (decimal escapes: the chunk stays ASCII).
    static func literal(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x20
                ? String(UnicodeScalar(b)) : String(format: "\\%03d", b)
        }.joined() + "\""
    }
}
