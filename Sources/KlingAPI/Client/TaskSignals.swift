import Synchronization

/// Early wake-ups for waits: a callback receiver calls `notify(taskID:)` when Kling says a
/// task changed, and a wait sleeping on that task polls at once instead of at its next
/// scheduled time. Polling stays the source of truth; a signal only moves it earlier.
/// Until something `listen()`s, a sleep is a plain `Task.sleep`: a thousand waits polling
/// nine times each spent ~8% of a run's CPU on the wakeable kind (a group of two tasks).
public actor TaskSignals {
    private var sleepers: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var next = 0
    private nonisolated let listened = Atomic(false)

    public init() {}

    public func notify(taskID: String) {
        guard let waiting = sleepers.removeValue(forKey: taskID) else { return }
        for continuation in waiting.values { continuation.resume() }
    }

    /// A notifier (a callback receiver) will signal: sleeps begun from now on can be woken.
    public nonisolated func listen() { listened.store(true, ordering: .releasing) }

    /// Sleeps for `duration`, or less if `taskID` is signalled (after `listen()`); true when
    /// it was. Throws on cancellation.
    @discardableResult
    public nonisolated func sleep(taskID: String, for duration: Duration) async throws -> Bool {
        guard listened.load(ordering: .acquiring) else {
            try await Task.sleep(for: duration)
            return false
        }
        return try await wakeableSleep(taskID: taskID, for: duration)
    }

    private func wakeableSleep(taskID: String, for duration: Duration) async throws -> Bool {
        let id = next
        next += 1
        let signalled = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await Task.sleep(for: duration); return false }
            group.addTask { await self.park(taskID: taskID, id: id); return true }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        wake(taskID: taskID, id: id)
        try Task.checkCancellation()
        return signalled
    }

    private func park(taskID: String, id: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancelled before parking: the handler's wake may already have run.
                if Task.isCancelled { return continuation.resume() }
                sleepers[taskID, default: [:]][id] = continuation
            }
        } onCancel: {
            Task { await self.wake(taskID: taskID, id: id) }
        }
    }

    private func wake(taskID: String, id: Int) {
        guard let continuation = sleepers[taskID]?.removeValue(forKey: id) else { return }
        if sleepers[taskID]?.isEmpty == true { sleepers[taskID] = nil }
        continuation.resume()
    }
}
