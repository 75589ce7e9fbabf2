import Foundation

/// When to poll: first after `firstPoll` (less for a task created a while ago), then backing
/// off by 1.5× towards 5 s, and towards 10 s once the task is older than a minute (at most one
/// query per 10 s).
public struct PollSchedule: Sendable, Equatable {
    public var firstPoll: Duration
    public var growth: Double = 1.5
    public var youngCap: Duration = .seconds(5)
    public var oldCap: Duration = .seconds(10)
    public var oldAfter: Duration = .seconds(60)

    public init(firstPoll: Duration = .seconds(1)) { self.firstPoll = firstPoll }

    /// The first poll of a task created `taskAge` ago: one older than `firstPoll` is asked at once.
    public func firstDelay(taskAge: Duration) -> Duration {
        max(.zero, firstPoll - taskAge)
    }

    public func next(after previous: Duration, taskAge: Duration) -> Duration {
        let cap = taskAge >= oldAfter ? oldCap : youngCap
        let grown = Duration.seconds(previous.seconds * growth)
        return max(min(grown, cap), min(previous, cap))
    }
}

extension KlingClient {
    /// Polls until the task ends. Returns it when it succeeds; throws `.failed` when it
    /// fails, `.timeout` past `timeout`, `.cancelled` on Swift task cancellation.
    /// Transient query failures do not end a wait: it keeps polling until the timeout.
    public func wait(taskID: String, timeout: Duration = .seconds(1800), firstPoll: Duration = .seconds(1),
                     onStatus: (@Sendable (LipSyncTask) async -> Void)? = nil) async throws(KlingError) -> LipSyncTask {
        try await onBoard([taskID]) { () async throws(KlingError) in
            try await poll(taskID: taskID, timeout: timeout, firstPoll: firstPoll, onStatus: onStatus)
        }
    }

    /// Runs `body` with `ids` counted as waited for on the board, however it ends.
    func onBoard<T, E: Error>(_ ids: [String], _ body: () async throws(E) -> T) async throws(E) -> T {
        await board.register(ids)
        let result: Result<T, E>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await board.unregister(ids)
        return try result.get()
    }

    private func poll(taskID: String, timeout: Duration, firstPoll: Duration,
                      onStatus: (@Sendable (LipSyncTask) async -> Void)?) async throws(KlingError) -> LipSyncTask {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let schedule = PollSchedule(firstPoll: firstPoll)
        var delay = firstPoll
        // Before the next poll: `delay`, except a first one shortened by the task's age.
        var pause = schedule.firstDelay(taskAge: births.age(of: taskID))
        func advance(taskAge: Duration) {
            if pause < delay { pause = delay; return }
            delay = schedule.next(after: delay, taskAge: taskAge)
            pause = delay
        }
        var lastStatus: TaskStatus?
        var createdAt: Int64?
        while true {
            let remaining = deadline - clock.now
            if remaining <= .zero {
                throw KlingError(kind: .timeout, message: "task \(taskID) still \(lastStatus?.rawValue ?? "unknown") after \(Int(timeout.seconds)) s", taskID: taskID)
            }
            var signalled = false
            do {
                if pause > .zero { signalled = try await signals.sleep(taskID: taskID, for: min(pause, remaining)) }
                try Task.checkCancellation()
            } catch {
                throw KlingError(kind: .cancelled, message: "wait for task \(taskID) cancelled", taskID: taskID)
            }
            if clock.now >= deadline { continue }
            let task: LipSyncTask
            do {
                // A list asked at most half an interval ago (or 0.2 s, for a task polled at
                // once) will do: a later poll still sees a newer state than the one before.
                // A callback's signal says the task changed just now: only its own query will do.
                let listed = signalled ? nil : await board.task(taskID, notBefore: clock.now - max(pause / 2, .milliseconds(200)))
                if let listed { task = listed } else { task = try await self.task(id: taskID) }
            } catch where error.kind == .cancelled {
                throw KlingError(kind: .cancelled, message: "wait for task \(taskID) cancelled", taskID: taskID)
            } catch where RetryPolicy.isRetryable(error) {
                logger.info("query of task \(taskID) failed (\(error.description)); still waiting")
                advance(taskAge: .zero)
                continue
            }
            if task.taskStatus != lastStatus {
                lastStatus = task.taskStatus
                await onStatus?(task)
            }
            if task.taskStatus == .succeed { return task }
            if task.taskStatus == .failed {
                throw KlingError(kind: .failed, message: task.taskStatusMsg ?? "the task failed", taskID: task.taskID)
            }
            createdAt = createdAt ?? task.createdAt
            let age: Duration = createdAt.map { .milliseconds(max(0, Int64(Date().timeIntervalSince1970 * 1000) - $0)) } ?? .zero
            advance(taskAge: age)
        }
    }
}
