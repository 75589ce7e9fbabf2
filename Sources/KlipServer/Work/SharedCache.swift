/// Values by key, each made once: callers asking while it is being made wait for that same
/// making, and a made value answers later callers at once. Only successes are kept, the
/// least recently used going first beyond `capacity`.
///
/// Unlike `ProbeCache`, a making is cancelled when the last caller waiting for it is: a
/// stopping server must not go on tracking faces for nobody. A cancelled caller returns at
/// once, whatever the others do.
actor SharedCache<Key: Hashable & Sendable, Value: Sendable> {
    private struct Flight {
        var task: Task<Void, Never>?
        var waiters: [Int: CheckedContinuation<Value, any Error>] = [:]
    }

    private let capacity: Int
    private var values: [Key: (value: Value, used: Int)] = [:]
    private var flights: [Key: (id: Int, flight: Flight)] = [:]
    private var clock = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func value(for key: Key, make: @escaping @Sendable () async throws -> Value) async throws -> Value {
        clock += 1
        if let known = values[key] {
            values[key]?.used = clock
            return known.value
        }
        let waiter = clock
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                if flights[key] != nil { return flights[key]!.flight.waiters[waiter] = continuation }
                var flight = Flight(waiters: [waiter: continuation])
                flight.task = Task {
                    let result: Result<Value, any Error>
                    do { result = .success(try await make()) } catch { result = .failure(error) }
                    self.finish(key, flight: waiter, with: result)
                }
                flights[key] = (waiter, flight)
            }
        } onCancel: {
            Task { await self.leave(key, waiter: waiter) }
        }
    }

    /// The last one out cancels the making, and forgets it: a caller arriving after starts anew.
    private func leave(_ key: Key, waiter: Int) {
        guard let continuation = flights[key]?.flight.waiters.removeValue(forKey: waiter) else { return }
        continuation.resume(throwing: CancellationError())
        if flights[key]?.flight.waiters.isEmpty == true {
            flights.removeValue(forKey: key)?.flight.task?.cancel()
        }
    }

    private func finish(_ key: Key, flight id: Int, with result: Result<Value, any Error>) {
        guard let current = flights[key], current.id == id else { return }
        flights[key] = nil
        if case let .success(value) = result { remember(value, for: key) }
        for continuation in current.flight.waiters.values { continuation.resume(with: result) }
    }

    private func remember(_ value: Value, for key: Key) {
        values[key] = (value, clock)
        guard values.count > capacity, let oldest = values.min(by: { $0.value.used < $1.value.used }) else { return }
        values[oldest.key] = nil
    }

    var count: Int { values.count }

    /// Callers waiting for a making (tests).
    var waiting: Int { flights.values.reduce(0) { $0 + $1.flight.waiters.count } }
}
