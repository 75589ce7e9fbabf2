import CLuaGlue

/// One coroutine the scheduler runs: the main chunk or a `kling.spawn`ed function.
/// A spawn handle (userdata) holds a retain on it; its `__gc` lets go.
final class LuaThread {
    /// A coroutine's life. Only `ready` and `waiting` can change; each case carries what
    /// is true of it, so a result without an end, a token without a wait, or a joiner of
    /// an ended thread cannot exist.
    enum State {
        case ready(Watchers)
        /// Suspended on Swift work or a join; a completion with another token is stale.
        case waiting(token: Int, Watchers)
        /// Returned: its results packed in a table (registry reference).
        case done(results: Int32)
        /// Raised: the error object (registry reference), its report with traceback, and
        /// whether someone waited on the thread (then the error was theirs to see; if not,
        /// the run reports it at the end).
        case failed(error: Int32, report: String, seen: Bool)
        case cancelled

        var isLive: Bool {
            switch self {
            case .ready, .waiting: true
            case .done, .failed, .cancelled: false
            }
        }

        var token: Int? { if case let .waiting(token, _) = self { token } else { nil } }

        /// The registry reference the thread holds for its outcome (0: none).
        var outcomeRef: Int32 {
            switch self {
            case let .done(ref), let .failed(ref, _, _): ref
            case .ready, .waiting, .cancelled: 0
            }
        }
    }

    /// Who waits on a live thread. `seen` outlives the joiners it came from: a joiner
    /// cancelled meanwhile still saw the thread (and `wait` on a thread seen this way
    /// before it could join counts too).
    struct Watchers {
        /// Threads suspended in `wait(handle)` on this one, with the tokens they wait with.
        var joiners: [Joiner] = []
        var seen = false
    }

    struct Joiner {
        let thread: LuaThread
        let token: Int
    }

    /// How a live thread ends.
    enum Ending {
        case done(results: Int32)
        case failed(error: Int32, report: String)
        case cancelled
    }

    let id: Int
    let co: OpaquePointer
    let isMain: Bool
    /// The registry slot that keeps the coroutine alive while the host needs it.
    var threadRef: Int32
    /// Arguments already on the coroutine's stack for its first resume.
    var preloaded: Int32
    private(set) var state: State = .ready(Watchers())
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

    /// The running thread waits for `token` (Swift work or a join). Only a running thread
    /// can start waiting: anything else is a scheduler bug.
    func suspend(token: Int) {
        guard case let .ready(watchers) = state else {
            preconditionFailure("coroutine \(id) is \(state) and cannot wait for token \(token)")
        }
        state = .waiting(token: token, watchers)
    }

    /// Runnable again if it waits for `token`; false if that wait is stale (it ended, or
    /// waits for something else now).
    func wake(token: Int) -> Bool {
        guard case let .waiting(current, watchers) = state, current == token else { return false }
        state = .ready(watchers)
        return true
    }

    /// `joiner` waits until this thread ends.
    func add(_ joiner: Joiner) {
        switch state {
        case var .ready(watchers):
            watchers.joiners.append(joiner)
            watchers.seen = true
            state = .ready(watchers)
        case .waiting(let token, var watchers):
            watchers.joiners.append(joiner)
            watchers.seen = true
            state = .waiting(token: token, watchers)
        case .done, .failed, .cancelled:
            preconditionFailure("coroutine \(id) ended as \(state): nobody can wait for it to end")
        }
    }

    /// Someone asked for this thread's outcome (`wait(handle)`).
    func markSeen() {
        switch state {
        case var .ready(watchers):
            watchers.seen = true
            state = .ready(watchers)
        case .waiting(let token, var watchers):
            watchers.seen = true
            state = .waiting(token: token, watchers)
        case let .failed(error, report, _):
            state = .failed(error: error, report: report, seen: true)
        case .done, .cancelled:
            break // nothing left to report
        }
    }

    /// Ends the thread; returns the joiners to wake. An ended thread never changes again
    /// (that would be a scheduler bug).
    @discardableResult
    func become(_ end: Ending) -> [Joiner] {
        let watchers: Watchers
        switch state {
        case let .ready(w), let .waiting(_, w): watchers = w
        case .done, .failed, .cancelled: preconditionFailure("coroutine \(id) ended as \(state) and cannot become \(end)")
        }
        switch end {
        case let .done(results): state = .done(results: results)
        case let .failed(error, report): state = .failed(error: error, report: report, seen: watchers.seen)
        case .cancelled: state = .cancelled
        }
        return watchers.joiners
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
