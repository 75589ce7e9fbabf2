import CLuaGlue
import KlingAPI
import KlipMedia
import Foundation

/// Runs one script: one Lua state, owned by this actor, whose scheduler resumes the
/// coroutines as their Swift work completes.
public actor ScriptRunner {
    private let options: ScriptOptions
    private let context: ScriptContext
    private let latch = InterruptLatch()
    private let extraBindings: [Binding]
    private let executor = LuaExecutor(name: "klip-lua")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    deinit { executor.stop() }

    public init(options: ScriptOptions, backend: (any ScriptBackend)? = nil) {
        self.init(options: options, backend: backend, extraBindings: [])
    }

    /// Tests add bindings of their own (registered as `kling.<name>`).
    init(options: ScriptOptions, backend: (any ScriptBackend)?, extraBindings: [Binding]) {
        self.options = options
        self.context = ScriptContext(options: options, backend: backend)
        self.extraBindings = extraBindings
    }

    /// Stops the script (Ctrl-C): the running Lua code raises at its next instruction and
    /// cannot catch it, in-flight work is cancelled, `<close>` handlers run; exit 130.
    /// Safe from any thread or a signal handler's dispatch source.
    public nonisolated func interrupt() { latch.fire() }

    public func run() async -> ScriptResult {
        klip_stdout_linebuffered()
        guard let rt = LuaRuntime(options: options, context: context) else {
            return report(ScriptResult(exitStatus: 1, values: [], errorMessage: "klip: cannot create a Lua state", createdTasks: []))
        }
        var result = await execute(rt)
        // The finalizers run here, under both limits, and Ctrl-C still reaches them: a limit
        // they hit fails a run that had succeeded.
        if let kill = rt.close(), result.exitStatus == 0 {
            switch kill {
            case .cpuLimit:
                result.exitStatus = 1
                result.errorMessage = "klip: \(rt.text(of: kill)) in a __gc finalizer at exit"
            case .interrupted: (result.exitStatus, result.errorMessage) = (130, "klip: interrupted")
            case .exit: result.exitStatus = rt.exitStatus
            }
        }
        latch.detach()
        klip_free_kill_switch(rt.killSwitch)
        return report(result)
    }

    /// Everything between creating the state and closing it; the result is not yet reported.
    private func execute(_ rt: LuaRuntime) async -> ScriptResult {
        rt.registerCoreBindings()
        rt.registerKlingBindings()
        rt.registerUploadBindings()
        rt.registerSheet()
        rt.registerEditBindings()
        for b in extraBindings { rt.register(b.name, waits: b.waits, b.body) }
        do throws(ScriptFailure) {
            try rt.setUp(preludeOptions: preludeOptions())
            let (code, chunk) = try await source()
            try rt.load(code: code, chunkName: chunk, arguments: options.arguments.map { .string($0) })
        } catch {
            return ScriptResult(exitStatus: 1, values: [], errorMessage: "klip: " + error.message, createdTasks: [])
        }
        latch.attach(rt.killSwitch, rt.sink)
        let ticker: Task<Void, Never>? = context.progress.isLive ? Task { [sink = rt.sink] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                sink.yield(.tick)
            }
        } : nil
        defer { ticker?.cancel() }
        var events = rt.events.makeAsyncIterator()
        rt.pump()
        context.progress.redraw()
        while !rt.finished {
            guard let event = await events.next() else { break }
            rt.handle(event)
            context.progress.clear()
            rt.pump()
            context.progress.redraw()
        }
        context.progress.clear()
        var status = rt.stop?.status ?? 0
        var message = rt.stop?.message
        if rt.stop == nil {
            let reports = rt.unobservedReports
            if !reports.isEmpty {
                status = 1
                message = reports.map { "klip: error in a spawned function nobody waited for: " + $0 }.joined(separator: "\n")
            }
        }
        var result = ScriptResult(exitStatus: status, values: rt.mainResults, errorMessage: message,
                                  createdTasks: context.progress.created)
        if let plan = context.plan {
            result.plan = if !plan.isEmpty, let service = try? await context.service() { await plan.plan(service: service) } else { Plan(tasks: []) }
        }
        return result
    }

    private func report(_ result: ScriptResult) -> ScriptResult {
        if let message = result.errorMessage { context.diagnostics(message) }
        // After Ctrl-C every task this run created is listed; after an error, the ones
        // still running (they go on at the server, and cost money there).
        let listed = result.exitStatus == 130 ? result.createdTasks
            : result.exitStatus != 0 ? result.createdTasks.filter { !$0.lastStatus.isFinal } : []
        if !listed.isEmpty {
            var lines = ["klip: tasks created by this run (they keep running on the server):"]
            for t in listed {
                lines.append("  \(t.taskID)" + (t.externalTaskID.map { "  external_task_id=\($0)" } ?? "") + "  last status: \(t.lastStatus)")
            }
            context.diagnostics(lines.joined(separator: "\n"))
        }
        return result
    }

    private func source() async throws(ScriptFailure) -> ([UInt8], String) {
        switch options.source {
        case let .code(code): return (Array(code.utf8), "=(command line)")
        case .file("-"):
            // `klip run -`: the script comes from standard input, as with `lua -`.
            // Read on a thread of its own: stdin may be a terminal or a slow pipe.
            do {
                return (try await DedicatedThread.run(name: "klip-stdin") { try Self.readStandardInput() }, "=stdin")
            } catch {
                throw ScriptFailure("cannot read the script from standard input: \(error)")
            }
        case let .file(path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ScriptFailure("cannot read \(path): " + (FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))
            }
            var bytes = [UInt8](data)
            // A #! first line is skipped, as lua does (keep the newline so lines count right).
            if bytes.starts(with: Array("#".utf8)) {
                let end = bytes.firstIndex(of: 0x0A) ?? bytes.count
                bytes.replaceSubrange(0..<end, with: [])
            }
            return (bytes, "@" + path)
        }
    }

    private static func readStandardInput() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            bytes.append(contentsOf: chunk[..<n])
        }
    }

    private func preludeOptions() -> LuaValue {
        var argPairs: [LuaValue.Pair] = []
        switch options.source {
        case let .file(path): argPairs.append(.init(.int(0), .string(path)))
        case .code: argPairs.append(.init(.int(0), .string("-e")))
        }
        argPairs.append(.init(.int(-1), .string("klip")))
        for (i, a) in options.arguments.enumerated() { argPairs.append(.init(.int(Int64(i + 1)), .string(a))) }
        return .record([
            ("backend", .string(context.backend?.name ?? "local")),
            ("sandbox", .bool(options.sandbox)),
            ("planning", .bool(options.planning)),
            ("local_videos", .string((context.backend?.localVideos ?? .sendPath).rawValue)),
            ("builtin_upload", .bool(options.builtInUpload)),
            ("init_file", options.initFile.map { .string($0) } ?? .nil),
            ("arg", .table(argPairs)),
            ("extra", .array(extraBindings.map { .string($0.name) })),
        ])
    }
}

/// Lets `interrupt()` reach the state from any thread, and only while it is open.
final class InterruptLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var state: OpaquePointer?
    private var sink: AsyncStream<Event>.Continuation?
    private var fired = false

    func attach(_ L: OpaquePointer, _ sink: AsyncStream<Event>.Continuation) {
        lock.withLock {
            state = L
            self.sink = sink
            if fired { klip_interrupt(L); sink.yield(.interrupt) }
        }
    }
    func detach() { lock.withLock { state = nil; sink = nil } }
    func fire() {
        lock.withLock {
            fired = true
            if let state { klip_interrupt(state) }
            sink?.yield(.interrupt)
        }
    }
}

