/// A value made once, by whichever caller asks first: callers asking while it is being made
/// wait for that same making (an actor is re-entered across the `await`, so the making is a
/// stored task). A failed making is forgotten, so a later call may try again.
public actor SingleFlight<Value: Sendable> {
    private var making: Task<Value, any Error>?

    public init() {}

    public func value(_ make: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let making { return try await making.value }
        let task = Task { try await make() }
        making = task
        do { return try await task.value } catch {
            if making == task { making = nil }
            throw error
        }
    }

    /// Cancels a making still running and forgets the value: the next call makes it anew.
    public func reset() {
        making?.cancel()
        making = nil
    }
}
