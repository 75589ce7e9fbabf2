import Foundation

/// Runs blocking work (pipe reads and writes, dlib) on its own thread so it never ties up
/// one of the few threads of Swift's cooperative pool.
public enum DedicatedThread {
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = name
            thread.stackSize = 8 << 20  // dlib's detector recurses through image pyramids
            thread.start()
        }
    }
}
