import Foundation

/// Which failures the emulator injects into API answers, and how often: the text form is
/// `KIND=RATE[,KIND=RATE...]`, e.g. `5000=0.05,1302=0.03,drop-after=0.02,slow=0.05:2s` or
/// `all=0.2`. A rate is a probability per request (`0.05` or `5%`); `all=R` spreads R evenly
/// over every kind and later entries replace a kind's share; the rates may add up to at most 1.
public struct FaultSpec: Sendable, Equatable, CustomStringConvertible {
    /// Every kind of fault, in the order the draw walks them.
    public enum Kind: String, CaseIterable, Sendable {
        /// Answers with that error code and its HTTP status (500/503/504, 429/429); nothing is done.
        case internalError = "5000", unavailable = "5001", timeout = "5002"
        case rateLimited = "1302", tooManyParallel = "1303"
        /// The connection is closed before the request is read: nothing is done.
        case dropBefore = "drop-before"
        /// The request is carried out (a create creates), then the connection is closed unanswered.
        case dropAfter = "drop-after"
        /// The request is carried out and its answer held back for the slow delay.
        case slow
        /// The request is carried out; the answer stops halfway through its body and the connection closes.
        case truncate
    }

    /// Probability per API request of each kind; absent kinds never happen.
    public private(set) var rates: [Kind: Double] = [:]
    /// How long a `slow` answer is held back.
    public private(set) var slowDelay: Duration = .seconds(2)

    /// No faults.
    public static let none = FaultSpec()
    public init() {}

    public var isEmpty: Bool { rates.values.allSatisfy { $0 == 0 } }
    public var totalRate: Double { rates.values.reduce(0, +) }

    public init(parsing text: String) throws(FaultSpecError) {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if entries.count == 1 && entries[0].isEmpty { return }
        var explicit: Set<Kind> = []
        for entry in entries {
            let pair = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, !pair[0].isEmpty else {
                throw FaultSpecError("\"\(entry)\" is not KIND=RATE")
            }
            let name = pair[0].lowercased()
            var value = Substring(pair[1])
            var delay: Duration?
            if let colon = value.firstIndex(of: ":") {
                guard name == "slow" || name == "all" else {
                    throw FaultSpecError("\"\(entry)\": only slow (and all) take a delay (slow=RATE:DELAY)")
                }
                delay = try Self.duration(value[value.index(after: colon)...], in: entry)
                value = value[..<colon]
            }
            let rate = try Self.rate(value, in: entry)
            if name == "all" {
                for kind in Kind.allCases where !explicit.contains(kind) { rates[kind] = rate / Double(Kind.allCases.count) }
            } else {
                guard let kind = Kind(rawValue: name) else {
                    throw FaultSpecError("unknown fault kind \"\(pair[0])\"; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")) or all")
                }
                guard !explicit.contains(kind) else { throw FaultSpecError("\(kind.rawValue) is given twice") }
                explicit.insert(kind)
                rates[kind] = rate
            }
            if let delay { slowDelay = delay }
        }
        let total = totalRate
        guard total <= 1 + 1e-9 else {
            throw FaultSpecError("the rates add up to \(Self.format(total)); at most 1 (every request) is possible")
        }
    }

    /// `5000=0.05,slow=0.1:2s` (kinds in draw order, zero rates left out).
    public var description: String {
        let parts = Kind.allCases.compactMap { kind -> String? in
            guard let rate = rates[kind], rate > 0 else { return nil }
            return kind == .slow ? "slow=\(Self.format(rate)):\(Self.format(slowDelay))" : "\(kind.rawValue)=\(Self.format(rate))"
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    static func rate(_ text: Substring, in entry: String) throws(FaultSpecError) -> Double {
        let isPercent = text.hasSuffix("%")
        guard let number = Double(isPercent ? text.dropLast() : text), number.isFinite else {
            throw FaultSpecError("\"\(entry)\": the rate must be a number from 0 to 1 or a percentage")
        }
        let rate = isPercent ? number / 100 : number
        guard (0...1).contains(rate) else {
            throw FaultSpecError("\"\(entry)\": the rate must be from 0 to 1 (or 0% to 100%); got \(text)")
        }
        return rate
    }

    /// `2s`, `1.5s`, `500ms`.
    static func duration(_ text: Substring, in entry: String) throws(FaultSpecError) -> Duration {
        let (digits, scale): (Substring, Double) = text.hasSuffix("ms") ? (text.dropLast(2), 1) : text.hasSuffix("s") ? (text.dropLast(), 1000) : ("", 0)
        guard scale > 0, let number = Double(digits), number.isFinite, number >= 0, number * scale <= 600_000 else {
            throw FaultSpecError("\"\(entry)\": the delay must be like 2s, 1.5s or 500ms (at most 600s)")
        }
        return .milliseconds(Int64((number * scale).rounded()))
    }

    static func format(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    static func format(_ x: Double) -> String {
        var text = String(format: "%.6f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// A `--faults` text that cannot be understood; the message names the entry.
public struct FaultSpecError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = "--faults: \(description)" }
}
