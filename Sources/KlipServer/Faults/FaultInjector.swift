import Foundation
import Synchronization

/// Decides, for the n-th API request since start, which fault (if any) it gets. The choice is
/// a pure function of the seed and n, so a run with the same seed and the same request order
/// sees the same faults; concurrent requests are numbered in the order they arrive.
public struct FaultInjector: Sendable {
    public let spec: FaultSpec
    public let seed: UInt64
    private let counter = Counter()

    public init(spec: FaultSpec, seed: UInt64) {
        self.spec = spec
        self.seed = seed
    }

    /// The next request's number and fault.
    func next() -> (number: UInt64, kind: FaultSpec.Kind?) {
        let n = counter.take()
        return (n, kind(forRequest: n))
    }

    /// The fault of request `n` (0-based): one uniform draw, walked over the kinds' rates.
    public func kind(forRequest n: UInt64) -> FaultSpec.Kind? {
        let u = Self.uniform(seed: seed, n: n)
        var edge = 0.0
        for kind in FaultSpec.Kind.allCases {
            guard let rate = spec.rates[kind], rate > 0 else { continue }
            edge += rate
            if u < edge { return kind }
        }
        return nil
    }

    /// SplitMix64 of (seed, n), as a double in [0, 1).
    static func uniform(seed: UInt64, n: UInt64) -> Double {
        var z = seed &+ (n &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53
    }

    private final class Counter: Sendable {
        private let value = Atomic<UInt64>(0)
        func take() -> UInt64 { value.wrappingAdd(1, ordering: .relaxed).oldValue }
    }
}
