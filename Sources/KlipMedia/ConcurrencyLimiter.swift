import Foundation

/// At most `limit` operations run at once; the rest wait here, in order. Waiting is a
/// suspended continuation, never a parked thread, and a cancelled waiter leaves the queue.
/// Used for short media tools (`ProcessRunner`, `mediaTools`) and for requests on the wire
/// (KlingAPI's `RequestLimiter`).
public actor ConcurrencyLimiter {
    /// At most this many short media tools (ffprobe, one-shot ffmpeg calls) of the process at
    /// once, sized to the cores, so a burst of a thousand creates queues instead of forking a
    /// thousand ffprobes.
    ///
    /// The long pipelines (`FrameReader`, `FrameWriter`) do not take slots: a render needs its
    /// decoder and its encoder at the same time, and a per-process cap lets every render hold a
    /// decoder while waiting for an encoder that never comes. Their owners bound them instead
    /// (`TaskRunner`'s render limit, `FaceIdentifierPool`), and keeping them out of this queue
    /// means a probe never waits behind a five-minute render.
    public static let mediaTools = ConcurrencyLimiter(limit: max(2, ProcessInfo.processInfo.activeProcessorCount))

    public let limit: Int
    private var running = 0
    private var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID = 0

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Tools running now (for tests and logs).
    public var inUse: Int { running }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        if running < limit {
            running += 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                waiting.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Hands the slot straight to the next waiter, or frees it.
    private func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().continuation.resume() }
    }
}
