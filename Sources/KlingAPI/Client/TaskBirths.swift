import Synchronization

/// When this client created each task, so a wait on a task made a while ago polls at once
/// instead of first sleeping a whole interval (a script creating a thousand tasks and then
/// waiting for them all found the early ones long finished). Bounded: past `capacity` the
/// record starts over, and a task it no longer knows is waited for as one of unknown age.
final class TaskBirths: Sendable {
    static let capacity = 16_384
    private let born = Mutex<[String: ContinuousClock.Instant]>([:])

    func record(_ taskID: String, at instant: ContinuousClock.Instant = .now) {
        born.withLock { born in
            if born.count >= Self.capacity { born.removeAll(keepingCapacity: true) }
            born[taskID] = instant
        }
    }

    /// How long ago this client created `taskID`; zero when it did not (or forgot).
    func age(of taskID: String, now: ContinuousClock.Instant = .now) -> Duration {
        guard let instant = born.withLock({ $0[taskID] }) else { return .zero }
        return max(.zero, now - instant)
    }
}
