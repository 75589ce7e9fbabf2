import CLua
import CLuaGlue
import Foundation

/// What a binding asks its trampoline to do.
enum BindingResult {
    case values([LuaValue])
    /// Indirect: the error's fields would make every result as large as they are, copied and
    /// destroyed through outlined value witnesses on each call (an error allocates anyway).
    indirect case error(ScriptError)
    /// Already encoded values (for tables with metatables), with their count.
    case encoded(Int32, [UInt8])
    /// Start this work and suspend the calling coroutine until it ends.
    case wait(@Sendable () async -> Outcome)
    /// Suspend until another coroutine ends (the host resumes it).
    case join(LuaThread)
}

/// How a piece of Swift work ended: the values the waiting binding returns, or its error.
enum Outcome: Sendable {
    case values([LuaValue])
    case error(ScriptError)

    var resumeBytes: [UInt8] {
        var out: [UInt8] = []
        switch self {
        case let .values(vs):
            LuaCodec.encode(.bool(true), into: &out)
            for v in vs { LuaCodec.encode(v, into: &out) }
        case let .error(e):
            LuaCodec.encode(.bool(false), into: &out)
            e.encode(into: &out)
        }
        return out
    }
}

enum Event: Sendable {
    case completed(thread: Int, token: Int, outcome: Outcome)
    /// Call a Lua function (registry ref) with a value, in a new coroutine (`on_status`).
    case callback(function: Int32, argument: LuaValue)
    case interrupt
    /// Once a second while the live progress line shows: it carries a clock.
    case tick
    /// A registry reference the Swift side kept (an `on_status` function) is no longer needed.
    case release(Int32)
}

/// A binding as registered. A class with constant fields, so a call borrows it through the
/// runtime's unretained table (`entries`) and loads its body without retaining anything.
final class Binding {
    let name: String
    let waits: Bool
    let body: (LuaRuntime, [LuaValue]) -> BindingResult

    init(name: String, waits: Bool, body: @escaping (LuaRuntime, [LuaValue]) -> BindingResult) {
        self.name = name
        self.waits = waits
        self.body = body
    }
}

/// The Lua state and its scheduler. Confined to the `ScriptRunner` actor: the C glue calls
/// back into it synchronously from inside `lua_resume`, on that actor's executor.
final class LuaRuntime {
    let box: StateBox
    var L: OpaquePointer { box.L }
    /// What Ctrl-C reaches from another thread. It outlives `close()` (finalizers stay
    /// interruptible); the runner frees it once nothing can fire at it.
    let killSwitch: OpaquePointer
    let options: ScriptOptions
    let context: ScriptContext
    private(set) var bindings: [Binding] = []
    // The binding path's state. Unchecked exclusivity: these are touched on every binding
    // call, only on the runtime's serial executor, and never across a call into a binding
    // body (which gets copies), so the dynamic access checks could never fire.
    /// `bindings` by the index the trampolines pass, unretained (`bindings` owns them): a
    /// call copies a pointer out, where a strong element would be retained and released.
    @exclusivity(unchecked) private var entries: [Unmanaged<Binding>] = []
    /// The current binding call's arguments; its storage is reused from call to call.
    @exclusivity(unchecked) private var arguments: [LuaValue] = []
    /// A binding's encoded results; its storage is reused from call to call.
    @exclusivity(unchecked) private var results: [UInt8] = []

    private var threads: [Int: LuaThread] = [:]
    private var ready: [(LuaThread, [UInt8])] = []
    private var readyHead = 0
    private(set) var current: LuaThread?
    private var inFlight: [Int: Task<Void, Never>] = [:]
    private var nextToken = 1
    private var nextThreadID = 1
    private var main: LuaThread?
    private var unobserved: [LuaThread] = []

    let events: AsyncStream<Event>
    let sink: AsyncStream<Event>.Continuation

    /// Set when the run must end now: exit status and the message to print.
    private(set) var stop: (status: Int32, message: String?)?
    private(set) var mainResults: [LuaValue] = []
    /// The status `os.exit` asked for.
    var exitStatus: Int32 = 0

    init?(options: ScriptOptions, context: ScriptContext) {
        guard let L = klip_newstate(options.effectiveMemoryLimit.map { Int($0) } ?? 0) else { return nil }
        self.box = StateBox(L)
        self.killSwitch = klip_kill_switch(L)
        self.options = options
        self.context = context
        (events, sink) = AsyncStream<Event>.makeStream()
    }

    /// Closes the state. Its `__gc` finalizers run now, under both limits (they release the
    /// handles' threads through the callbacks). Returns a kill that landed while they ran.
    @discardableResult
    func close() -> KillReason? {
        for (_, task) in inFlight { task.cancel() }
        inFlight.removeAll()
        var kill: KillReason?
        if !box.closed {
            kill = KillReason(klip_close(L))
            box.closed = true
        }
        threads.removeAll()
        ready.removeAll()
        main = nil
        sink.finish()
        return kill
    }

    /// A kill as Lua's error text spells it (`klip_kill_text`), so the host's messages never
    /// drift from the script's. Valid after close: the kill switch outlives the state.
    func text(of kill: KillReason) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 96) { buf in
            String(cString: klip_kill_text(killSwitch, kill.raw, buf.baseAddress, buf.count))
        }
    }

    // MARK: set-up

    func register(_ name: String, waits: Bool = false, _ body: @escaping (LuaRuntime, [LuaValue]) -> BindingResult) {
        bindings.append(Binding(name: name, waits: waits, body: body))
    }

    private var lastError: String {
        var len = 0
        guard let p = klip_last_error(L, &len) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Opens the libraries, the bindings and the prelude. Throws a message.
    func setUp(preludeOptions: LuaValue) throws(ScriptFailure) {
        let host = Unmanaged.passUnretained(self).toOpaque()
        klip_set_callbacks(L, klip_callbacks(host: host, dispatch: dispatchThunk, spawned: spawnedThunk,
                                             release: releaseThunk, cancel: cancelThunk))
        klip_set_cpu_limit(L, options.effectiveCPULimit ?? 0)
        guard klip_open(L) == LUA_OK else { throw ScriptFailure(lastError) }
        entries = bindings.map { Unmanaged.passUnretained($0) }
        for (i, b) in bindings.enumerated() {
            guard klip_register(L, b.name, Self.displayName(b.name), Int32(i), b.waits ? KLIP_BINDING_WAITS : 0) == LUA_OK else {
                throw ScriptFailure(lastError)
            }
        }
        let args = LuaCodec.encode([preludeOptions])
        let status = Prelude.source.utf8CString.withUnsafeBufferPointer { code in
            args.withUnsafeBufferPointer { a in
                klip_run_prelude(L, code.baseAddress, code.count - 1, Prelude.chunkName, a.baseAddress, a.count)
            }
        }
        guard status == LUA_OK else { throw ScriptFailure("klip prelude: " + lastError) }
    }

    /// How a script knows the binding: `wait`, `kling.sleep`.
    static func displayName(_ name: String) -> String {
        switch name {
        case "identify", "lipsync": return name
        case "wait_tasks", "join": return "wait"
        default: return "kling." + name
        }
    }

    /// Compiles the script (text mode) into the main coroutine.
    func load(code: [UInt8], chunkName: String, arguments: [LuaValue]) throws(ScriptFailure) {
        let args = LuaCodec.encode(arguments)
        var co: OpaquePointer?
        let ref = code.withUnsafeBufferPointer { c in
            args.withUnsafeBufferPointer { a in
                c.withMemoryRebound(to: CChar.self) { cc in
                    klip_load_main(L, cc.baseAddress, cc.count, chunkName, a.baseAddress, a.count, &co)
                }
            }
        }
        guard ref > 0, let co else { throw ScriptFailure(lastError) }
        let t = LuaThread(id: takeThreadID(), co: co, threadRef: ref, preloaded: Int32(arguments.count),
                          isMain: true, state: box)
        threads[t.id] = t
        main = t
        ready.append((t, []))
    }

    private func takeThreadID() -> Int { defer { nextThreadID += 1 }; return nextThreadID }

    // MARK: scheduling

    /// True when nothing can run any more.
    var finished: Bool {
        if stop != nil { return true }
        return threads.values.allSatisfy { !$0.isLive }
    }

    /// Resumes ready coroutines until none is ready.
    func pump() {
        while readyHead < ready.count, stop == nil {
            let (t, args) = ready[readyHead]
            readyHead += 1
            if readyHead > 1024 && readyHead * 2 > ready.count {
                ready.removeFirst(readyHead)
                readyHead = 0
            }
            resume(t, args)
        }
        if stop == nil, readyHead >= ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
            // Coroutines that wait only on each other will never run again. (Work in flight
            // is asked first: pump runs after every event, and counting a thousand waiting
            // coroutines each time was 7% of a 1,000-task run's CPU.)
            if inFlight.isEmpty {
                let live = threads.values.filter(\.isLive).count
                if live > 0 { fail(status: 1, message: "deadlock: every remaining coroutine waits for another one (\(live) suspended)") }
            }
        }
    }

    private func resume(_ t: LuaThread, _ args: [UInt8]) {
        guard t.isLive else { return }
        current = t
        var ref: Int32 = 0
        let preloaded = t.preloaded
        t.preloaded = 0
        let status = args.withUnsafeBufferPointer { a in
            klip_resume(L, t.co, preloaded, a.baseAddress, a.count, &ref)
        }
        current = nil
        switch status {
        case KLIP_THREAD_WAITING:
            // The binding that yielded started work or a join: the thread waits on its token.
            precondition(t.state.token != nil, "coroutine \(t.id) yielded to the host without work to wait for")
        case KLIP_THREAD_DONE:
            finished(t, waking: t.become(.done(results: ref)))
        default:
            let report = lastError
            let joiners = t.become(.failed(error: ref, report: report))
            if let kill = KillReason(klip_kill_reason(L)) {
                switch kill {
                case .interrupted: interrupted()
                case .exit: fail(status: exitStatus, message: nil)
                case .cpuLimit: fail(status: 1, message: "klip: " + report)
                }
                return
            }
            klip_reset_thread(L, t.co) // its pending <close> handlers run now
            finished(t, waking: joiners)
            if t.isMain {
                fail(status: 1, message: "klip: " + report)
            } else if case .failed(_, _, seen: false) = t.state {
                unobserved.append(t)
            }
        }
    }


    /// `t` has ended: wake the joiners still waiting for it (`become` handed them over).
    private func finished(_ t: LuaThread, waking joiners: [LuaThread.Joiner]) {
        if t.isMain, case let .done(results) = t.state { mainResults = encodedValues(ofRef: results) }
        for j in joiners where j.thread.wake(token: j.token) {
            t.markSeen()
            ready.append((j.thread, joinAnswer(t)))
        }
        threads[t.id] = nil
        box.unref(t.threadRef)
        t.threadRef = 0
    }

    /// (true, packed results) or (false, error), as the prelude's join expects.
    private func joinAnswer(_ t: LuaThread) -> [UInt8] {
        var out: [UInt8] = []
        LuaCodec.encode(.bool(true), into: &out) // the binding's own success
        switch t.state {
        case let .done(results):
            LuaCodec.encode(.bool(true), into: &out)
            LuaCodec.encode(.ref(results), into: &out)
        case let .failed(error, _, _):
            LuaCodec.encode(.bool(false), into: &out)
            LuaCodec.encode(.ref(error), into: &out)
        case .ready, .waiting, .cancelled:
            LuaCodec.encode(.bool(false), into: &out)
            ScriptError.cancelled("the spawned function was cancelled").encode(into: &out)
        }
        return out
    }

    func encodedValues(ofRef ref: Int32) -> [LuaValue] {
        var bytes: UnsafePointer<UInt8>?
        var len = 0
        guard ref > 0, klip_encode_ref(L, ref, &bytes, &len) == LUA_OK, let bytes else { return [] }
        return LuaCodec.decode(UnsafeBufferPointer(start: bytes, count: len))
    }

    func handle(_ event: Event) {
        switch event {
        case let .completed(id, token, outcome):
            inFlight[token] = nil
            guard let t = threads[id], t.wake(token: token) else { return }
            ready.append((t, outcome.resumeBytes))
        case let .callback(function, argument):
            startCallback(function: function, argument: argument)
        case .interrupt:
            if stop == nil { interrupted() }
        case let .release(ref):
            box.unref(ref)
        case .tick:
            break
        }
    }

    /// Keeps a reference argument (a function) alive past the binding call.
    func retainArgument(_ ref: Int32) { klip_retain_ref(L, ref) }

    /// Starts Swift work for the current coroutine; its completion resumes it.
    func start(_ work: @escaping @Sendable () async -> Outcome, for t: LuaThread) {
        let token = nextToken
        nextToken += 1
        t.suspend(token: token)
        let sink = self.sink
        let id = t.id
        inFlight[token] = Task {
            let outcome = await work()
            sink.yield(.completed(thread: id, token: token, outcome: outcome))
        }
    }

    /// Runs `function(argument)` as a new coroutine (an `on_status` callback).
    private func startCallback(function: Int32, argument: LuaValue) {
        guard stop == nil else { return }
        var co: OpaquePointer?
        var ref: Int32 = 0
        guard klip_new_thread(L, function, &co, &ref) == LUA_OK, let co else { return }
        let t = LuaThread(id: takeThreadID(), co: co, threadRef: ref, preloaded: 0, isMain: false, state: box)
        threads[t.id] = t
        ready.append((t, LuaCodec.encode([argument])))
    }

    // MARK: ending

    func fail(status: Int32, message: String?) {
        guard stop == nil else { return }
        stop = (status, message)
        shutDown()
    }

    private func interrupted() {
        guard stop == nil else { return }
        stop = (130, "klip: interrupted")
        shutDown()
    }

    /// Cancels the Swift work, lets the `<close>` handlers run, and leaves the state quiet.
    private func shutDown() {
        for (_, task) in inFlight { task.cancel() }
        inFlight.removeAll()
        klip_disarm(L)
        for t in threads.values.sorted(by: { $0.id < $1.id }) {
            if t.isLive {
                t.become(.cancelled)
            } else if case .failed = t.state {} else {
                continue
            }
            klip_reset_thread(L, t.co)
        }
        ready.removeAll()
        readyHead = 0
    }

    /// Errors of spawned functions nobody waited for.
    var unobservedReports: [String] {
        unobserved.compactMap { t in
            if case let .failed(_, report, seen: false) = t.state { report } else { nil }
        }
    }

    // MARK: callbacks from C

    fileprivate func dispatch(binding: Int, args: UnsafeBufferPointer<UInt8>) -> Int32 {
        // The arguments move out of the runtime for the call and back after it: a body
        // that reaches the runtime cannot see them change, so passing them costs no retain.
        var values: [LuaValue] = []
        swap(&values, &arguments)
        let holdsMemory = LuaCodec.decode(args, over: &values)
        let result = entries[binding]._withUnsafeGuaranteedRef { $0.body(self, values) }
        // Strings and tables are let go of now; scalars stay until the next call overwrites them.
        if holdsMemory { values.removeAll(keepingCapacity: true) }
        swap(&values, &arguments)
        switch result {
        case let .values(vs):
            if vs.isEmpty { return 0 } // the trampoline emptied the output buffer
            results.removeAll(keepingCapacity: true)
            for v in vs { LuaCodec.encode(v, into: &results) }
            return output(results) ? Int32(vs.count) : outOfMemory()
        case let .encoded(n, bytes):
            return output(bytes) ? n : outOfMemory()
        case let .error(e):
            var bytes: [UInt8] = []
            e.encode(into: &bytes)
            _ = output(bytes)
            return KLIP_RAISE
        case let .wait(work):
            guard let t = current else { return raise(ScriptError(kind: .error, message: "\(bindings[binding].name) must run in a coroutine of the script")) }
            start(work, for: t)
            return KLIP_YIELD
        case let .join(target):
            guard let t = current else { return raise(ScriptError(kind: .error, message: "wait must run in a coroutine of the script")) }
            if target === t { return raise(ScriptError(kind: .error, message: "a coroutine cannot wait for itself")) }
            let token = nextToken
            nextToken += 1
            t.suspend(token: token)
            target.add(LuaThread.Joiner(thread: t, token: token))
            return KLIP_YIELD
        }
    }

    private func raise(_ e: ScriptError) -> Int32 {
        var bytes: [UInt8] = []
        e.encode(into: &bytes)
        _ = output(bytes)
        return KLIP_RAISE
    }

    private func output(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { klip_output(L, $0.baseAddress, $0.count) } != 0
    }

    private func outOfMemory() -> Int32 {
        _ = output(LuaCodec.encode([.string("not enough memory")]))
        return KLIP_RAISE
    }

    /// The answer to `wait(handle)` when the thread has ended, else a join.
    func joinResult(_ t: LuaThread) -> BindingResult {
        t.markSeen()
        switch t.state {
        case let .done(results): return .values([.bool(true), .ref(results)])
        case let .failed(error, _, _): return .values([.bool(false), .ref(error)])
        case .cancelled:
            var out: [UInt8] = []
            LuaCodec.encode(.bool(false), into: &out)
            ScriptError.cancelled("the spawned function was cancelled").encode(into: &out)
            return .encoded(2, out)
        case .ready, .waiting: return .join(t)
        }
    }

    fileprivate func spawned(co: OpaquePointer, ref: Int32, nargs: Int32) -> UnsafeMutableRawPointer {
        let t = LuaThread(id: takeThreadID(), co: co, threadRef: ref, preloaded: nargs, isMain: false, state: box)
        threads[t.id] = t
        ready.append((t, []))
        return Unmanaged.passRetained(t).toOpaque()
    }

    fileprivate func cancel(_ t: LuaThread) {
        guard t.isLive, t !== current else { return }
        if let token = t.state.token { inFlight.removeValue(forKey: token)?.cancel() }
        let joiners = t.become(.cancelled)
        klip_reset_thread(L, t.co)
        finished(t, waking: joiners)
    }
}

/// Why the hook stopped the Lua code (mirrors `klip_kill` in CLuaGlue.h).
enum KillReason {
    case interrupted
    case cpuLimit
    case exit

    /// nil: nothing was killed (or only disarmed after a kill: never reported as a reason).
    init?(_ raw: klip_kill) {
        switch raw {
        case KLIP_KILL_INTERRUPT: self = .interrupted
        case KLIP_KILL_CPU_LIMIT: self = .cpuLimit
        case KLIP_KILL_EXIT: self = .exit
        default: return nil
        }
    }

    var raw: klip_kill {
        switch self {
        case .interrupted: KLIP_KILL_INTERRUPT
        case .cpuLimit: KLIP_KILL_CPU_LIMIT
        case .exit: KLIP_KILL_EXIT
        }
    }
}

/// A message that ends the run before the script starts (bad syntax, no file).
public struct ScriptFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

// The C callbacks: plain functions, no captures.
private func runtime(_ host: UnsafeMutableRawPointer?) -> LuaRuntime {
    Unmanaged<LuaRuntime>.fromOpaque(host!).takeUnretainedValue()
}

// Borrowed, not retained: the runtime outlives its state's calls, and a retain/release pair
// here was a sixth of a binding call.
private let dispatchThunk: klip_dispatch_fn = { host, _, binding, args, len in
    Unmanaged<LuaRuntime>.fromOpaque(host!)._withUnsafeGuaranteedRef {
        $0.dispatch(binding: Int(binding), args: UnsafeBufferPointer(start: args, count: len))
    }
}
private let spawnedThunk: klip_spawned_fn = { host, co, ref, nargs in
    runtime(host).spawned(co: co!, ref: ref, nargs: nargs)
}
private let releaseThunk: klip_release_fn = { _, object in
    guard let object else { return }
    Unmanaged<LuaThread>.fromOpaque(object).release()
}
private let cancelThunk: klip_cancel_fn = { host, object in
    guard let object else { return }
    runtime(host).cancel(Unmanaged<LuaThread>.fromOpaque(object).takeUnretainedValue())
}

extension LuaRuntime {
    /// The thread behind a handle argument.
    func thread(handle: UInt) -> LuaThread? {
        guard let p = UnsafeRawPointer(bitPattern: handle) else { return nil }
        return Unmanaged<LuaThread>.fromOpaque(p).takeUnretainedValue()
    }
}
