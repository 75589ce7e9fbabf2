import KlingAPI

extension Backend {
    /// Runs `body` with a client and stops the embedded emulator afterwards, whatever happens.
    func run<T: Sendable>(_ body: (KlingClient) async throws -> T) async throws -> T {
        do {
            let result = try await body(makeClient())
            await shutdown()
            return result
        } catch {
            await shutdown()
            throw explained(error)
        }
    }
}
