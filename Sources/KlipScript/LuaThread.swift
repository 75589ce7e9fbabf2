import CLuaGlue

/// One coroutine the scheduler runs: the main chunk or a `kling.spawn`ed function.
/// A spawn handle (userdata) holds a retain on it; its `__gc` lets go.
final class LuaThread {
    /// A coroutine's life. Only `ready` and `waiting` can change; each case carries what
    /// is true of it, so a result without an end or a token without a wait cannot exist.
    enum State {
        case ready
        /// Suspended on Swift work or a join; a completion with another token is stale.
        case waiting(token: Int)
        /// Returned: its results packed in a table (registry reference).
        case done(results: Int32)
        /// Raised: the error object (registry reference) and its report with traceback.
        case failed(error: Int32, report: String)
        case cancelled

        var isLive: Bool {
            switch self {
            case .ready, .waiting: true
            case .done, .failed, .cancelled: false
            }
        }

        var token: Int? { if case let .waiting(token) = self { token } else { nil } }

        /// The registry reference the thread holds for its outcome (0: none).
        var outcomeRef: Int32 {
            switch self {
            case let .done(ref), let .failed(ref, _): ref
            case .ready, .waiting, .cancelled: 0
            }
        }
    }

    let id: Int
    let co: OpaquePointer
    let isMain: Bool
    /// The registry slot that keeps the coroutine alive while the host needs it.
    var threadRef: Int32
    /// Arguments already on the coroutine's stack for its first resume.
    var preloaded: Int32
    private(set) var state: State = .ready
    /// Threads suspended in `wait(handle)` on this one, with their tokens.
    var joiners: [(LuaThread, Int)] = []
    /// Someone waited on this thread (so its error was seen).
    var observed = false
    let stateBox: StateBox

    init(id: Int, co: OpaquePointer, threadRef: Int32, preloaded: Int32, isMain: Bool, state: StateBox) {
        self.id = id
        self.co = co
        self.threadRef = threadRef
        self.preloaded = preloaded
        self.isMain = isMain
        self.stateBox = state
    }

    var isLive: Bool { state.isLive }

    /// Moves to `next`; an ended thread never changes again (that would be a scheduler bug).
    func become(_ next: State) {
        precondition(state.isLive, "coroutine \(id) ended as \(state) and cannot become \(next)")
        state = next
    }

    /// A waiting thread whose work ended (or was dropped): runnable again.
    func wake() {
        guard case .waiting = state else { return }
        state = .ready
    }

    deinit {
        stateBox.unref(threadRef)
        stateBox.unref(state.outcomeRef)
    }
}

/// The lua_State and whether it is still open, shared by the objects that hold references.
final class StateBox {
    let L: OpaquePointer
    var closed = false
    init(_ L: OpaquePointer) { self.L = L }
    /// Queues a registry slot for release (never raises; freed at the next protected call).
    func unref(_ ref: Int32) {
        if ref > 0 && !closed { klip_unref(L, ref) }
    }
}
