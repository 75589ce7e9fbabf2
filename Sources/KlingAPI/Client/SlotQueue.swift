import Foundation

/// Waiting for a free task slot. Code 1303 (too many parallel tasks) refuses a create before
/// anything is made, so trying again cannot make a second task: a loop of creates queues
/// here, backing off by `growth` towards `maximumDelay`, instead of failing, and gives up
/// after `patience`.
public struct SlotQueue: Sendable, Equatable {
    public var firstDelay: Duration
    public var growth: Double
    public var maximumDelay: Duration
    public var patience: Duration

    public static let `default` = SlotQueue(firstDelay: .seconds(1), growth: 1.5,
                                            maximumDelay: .seconds(10), patience: .seconds(1800))

    public init(firstDelay: Duration, growth: Double, maximumDelay: Duration, patience: Duration) {
        self.firstDelay = firstDelay
        self.growth = growth
        self.maximumDelay = maximumDelay
        self.patience = patience
    }

    /// Refusals worth waiting out: only "no free slot" (other rate limits are the transport's).
    public static func waitsOut(_ error: KlingError) -> Bool {
        error.klingCode == .tooManyParallelTasks
    }

    public func delay(after previous: Duration) -> Duration {
        min(previous * growth, maximumDelay)
    }

    /// Runs `create` until it is not refused for want of a slot. `onQueued` hears the first
    /// refusal (once per call), so the caller can say why nothing seems to happen.
    public func run<T: Sendable>(onQueued: (KlingError) -> Void = { _ in },
                                 _ create: () async throws(KlingError) -> T) async throws(KlingError) -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var delay = firstDelay
        var told = false
        while true {
            let refused: KlingError
            do { return try await create() } catch { refused = error }
            guard Self.waitsOut(refused), clock.now + delay < deadline else { throw refused }
            if !told {
                onQueued(refused)
                told = true
            }
            do { try await Task.sleep(for: delay) } catch {
                throw KlingError(kind: .cancelled, message: "waiting for a free task slot cancelled")
            }
            delay = self.delay(after: delay)
        }
    }
}
