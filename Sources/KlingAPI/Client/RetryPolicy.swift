import Foundation

/// Which failures are retried and how long to wait. Only rate limits (1302, 1303), Kling's
/// transient server codes (5000–5002) and connection failures are retried; every other
/// code is an answer about the request itself and retrying would not change it.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    /// Lower bound of every delay (Kling asks for a first delay of at least 1 s).
    public var minimumDelay: Duration
    public var baseDelay: Duration
    public var maximumDelay: Duration

    public static let `default` = RetryPolicy(maxAttempts: 5, minimumDelay: .seconds(1),
                                              baseDelay: .seconds(1), maximumDelay: .seconds(30))
    public static let none = RetryPolicy(maxAttempts: 1, minimumDelay: .seconds(1),
                                         baseDelay: .seconds(1), maximumDelay: .seconds(1))

    public init(maxAttempts: Int, minimumDelay: Duration, baseDelay: Duration, maximumDelay: Duration) {
        self.maxAttempts = max(1, maxAttempts)
        self.minimumDelay = minimumDelay
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    public static func isRetryable(_ error: KlingError) -> Bool {
        switch error.kind {
        case .network: true
        case .api: error.isTransient
        default: false
        }
    }

    /// Exponential backoff with full jitter, never below `minimumDelay`:
    /// uniform in [minimum, min(cap, base · 2^retry)].
    public func delay(beforeRetry retry: Int) -> Duration {
        let base = baseDelay.seconds, cap = maximumDelay.seconds, floor = minimumDelay.seconds
        let ceiling = max(floor, min(cap, base * pow(2, Double(max(0, retry)))))
        return .seconds(Double.random(in: floor...ceiling))
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
