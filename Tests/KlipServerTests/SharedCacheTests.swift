import Foundation
@testable import KlipServer
import Synchronization
import Testing

/// `SharedCache`: one making per key however many ask, successes kept (bounded), and a
/// making cancelled with its last caller.
@Suite("Shared cache")
struct SharedCacheTests {
    /// How many makings started, how many saw their cancellation, and a gate they wait on.
    final class Probe: Sendable {
        let started = Mutex(0)
        let cancelled = Mutex(0)
        let gate = AsyncGate(permits: 0)

        /// Waits for the gate (or cancellation), then answers `value`.
        func make(_ value: Int) -> @Sendable () async throws -> Int {
            { [self] in
                started.withLock { $0 += 1 }
                await withTaskCancellationHandler {
                    await gate.acquire()
                } onCancel: {
                    Task { await self.gate.release() }
                }
                if Task.isCancelled {
                    cancelled.withLock { $0 += 1 }
                    throw CancellationError()
                }
                return value
            }
        }
    }

    /// Polls `condition` (a bound against a hang, not a timing).
    func eventually(_ condition: () async -> Bool) async throws -> Bool {
        for _ in 0..<3000 {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func concurrentCallersShareOneMakingAndLaterCallersGetTheValue() async throws {
        let cache = SharedCache<String, Int>(capacity: 4)
        let probe = Probe()
        let callers = (0..<5).map { _ in Task { try await cache.value(for: "clip", make: probe.make(42)) } }
        #expect(try await eventually { await cache.waiting == 5 })
        await probe.gate.release()
        for caller in callers { #expect(try await caller.value == 42) }
        #expect(try await cache.value(for: "clip", make: probe.make(7)) == 42)
        #expect(probe.started.withLock { $0 } == 1)
    }

    @Test func aFailureIsNotKept() async throws {
        struct Failed: Error {}
        let cache = SharedCache<String, Int>(capacity: 4)
        await #expect(throws: Failed.self) { try await cache.value(for: "clip") { throw Failed() } }
        #expect(await cache.count == 0)
        #expect(try await cache.value(for: "clip") { 3 } == 3)
    }

    @Test func aCancelledCallerReturnsAtOnceAndTheLastOneOutCancelsTheMaking() async throws {
        let cache = SharedCache<String, Int>(capacity: 4)
        let probe = Probe()
        let first = Task { try await cache.value(for: "clip", make: probe.make(1)) }
        let second = Task { try await cache.value(for: "clip", make: probe.make(1)) }
        #expect(try await eventually { await cache.waiting == 2 })
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(probe.cancelled.withLock { $0 } == 0, "the making was cancelled while a caller still waited")
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(try await eventually { probe.cancelled.withLock { $0 } == 1 }, "the making went on for nobody")
        // Forgotten: the next caller makes anew.
        let third = Task { try await cache.value(for: "clip", make: probe.make(3)) }
        #expect(try await eventually { await cache.waiting == 1 })
        await probe.gate.release()
        #expect(try await third.value == 3)
        #expect(probe.started.withLock { $0 } == 2)
    }

    @Test func beyondCapacityTheLeastRecentlyUsedGoes() async throws {
        let cache = SharedCache<String, Int>(capacity: 2)
        let made = Mutex<[String]>([])
        func value(_ key: String) async throws -> Int {
            try await cache.value(for: key) { made.withLock { $0.append(key) }; return key.count }
        }
        _ = try await value("a")
        _ = try await value("bb")
        _ = try await value("a")  // "bb" is now the least recently used
        _ = try await value("ccc")
        #expect(await cache.count == 2)
        _ = try await value("a")
        _ = try await value("bb")
        #expect(made.withLock { $0 } == ["a", "bb", "ccc", "bb"])
    }
}
