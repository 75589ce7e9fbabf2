import Foundation

/// Frames passed from the stage's thread to the encoder's, so the stage works on frame n+1
/// while frame n goes down the encoder's pipe (in one thread the two waits add up). Bounded:
/// at most `capacity` frames wait, and written buffers come back to be refilled. Both sides
/// wait only on their own dedicated threads, never on the cooperative pool.
final class FrameHandoff: @unchecked Sendable {
    private enum State { case open, finished, abandoned }
    private let condition = NSCondition()
    private var waiting: [[UInt8]] = []
    private var spare: [[UInt8]] = []
    private var state = State.open
    let capacity: Int

    init(capacity: Int = 3) { self.capacity = capacity }

    /// Producer: queues `buffer` and swaps in a spare one to fill next. False once the
    /// consumer has given up (the producer then stops quietly: the consumer's error counts).
    func put(_ buffer: inout [UInt8]) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while waiting.count >= capacity, state == .open { condition.wait() }
        guard state == .open else { return false }
        waiting.append(buffer)
        buffer = spare.popLast() ?? []
        condition.broadcast()
        return true
    }

    /// Consumer: the next frame, nil after the last one or once the producer gave up.
    func take() -> [UInt8]? {
        condition.lock(); defer { condition.unlock() }
        while waiting.isEmpty, state == .open { condition.wait() }
        guard state != .abandoned, !waiting.isEmpty else { return nil }
        condition.broadcast()
        return waiting.removeFirst()
    }

    /// Whether a side gave up (its own error is the one to report, not the other's stop).
    var isAbandoned: Bool {
        condition.lock(); defer { condition.unlock() }
        return state == .abandoned
    }

    /// Consumer: a written buffer, to be refilled by the producer.
    func recycle(_ buffer: [UInt8]) {
        condition.lock(); defer { condition.unlock() }
        if spare.count < capacity { spare.append(buffer) }
    }

    /// Producer: no more frames; the consumer drains what is queued.
    func finish() { end(.finished) }

    /// Either side: stop, and wake the other side so it stops too.
    func abandon() { end(.abandoned) }

    private func end(_ next: State) {
        condition.lock(); defer { condition.unlock() }
        if state == .open || next == .abandoned { state = next }
        condition.broadcast()
    }
}
