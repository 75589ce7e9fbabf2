import CLuaGlue

/// One coroutine the scheduler runs: the main chunk or a `kling.spawn`ed function.
/// A spawn handle (userdata) holds a retain on it; its `__gc` lets go.
final class LuaThread {
    enum State { case ready, waiting, done, failed, cancelled }

    let id: Int
    let co: OpaquePointer
    let isMain: Bool
    /// The registry slot that keeps the coroutine alive while the host needs it.
    var threadRef: Int32
    /// Arguments already on the coroutine's stack for its first resume.
    var preloaded: Int32
    var state: State = .ready
    /// The work or join this thread is suspended on; a completion with another token is stale.
    var pendingToken: Int?
    /// Packed results (done) or the error object (failed).
    var resultRef: Int32 = 0
    var report: String?
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

    var isLive: Bool { state == .ready || state == .waiting }

    deinit {
        stateBox.unref(threadRef)
        stateBox.unref(resultRef)
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
