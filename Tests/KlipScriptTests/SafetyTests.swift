import Foundation
import Testing
@testable import KlipScript

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    func bump(_ k: String) { lock.withLock { values[k, default: 0] += 1 } }
    subscript(_ k: String) -> Int { lock.withLock { values[k, default: 0] } }
}

final class Tracked {
    let counter: Counter
    init(_ counter: Counter) { self.counter = counter }
    deinit { counter.bump("deinit") }
}

@Suite struct SafetyTests {
    /// A binding that raises returns a sentinel; the C trampoline raises after the Swift
    /// frame has returned, so its `defer` and the `deinit` of its locals run.
    @Test func deferAndDeinitRunWhenABindingRaises() async {
        let counter = Counter()
        let boom = Binding(name: "boom", waits: false) { _, _ in
            let object = Tracked(counter)
            defer { counter.bump("defer") }
            _ = object
            return .error(ScriptError(kind: .api, message: "raised from Swift", code: 1201))
        }
        let options = ScriptOptions(source: .code("""
        local results = {}
        for i = 1, 100 do
          local ok, err = pcall(kling.boom)
          results[#results + 1] = (not ok) and err.code == 1201 and err.kind == "api"
        end
        for _, v in ipairs(results) do assert(v) end
        return #results
        """), diagnostics: { _ in }, liveProgress: false)
        let r = await ScriptRunner(options: options, backend: nil, extraBindings: [boom]).run()
        #expect(r.exitStatus == 0, "\(r.errorMessage ?? "")")
        #expect(r.values == [.int(100)])
        #expect(counter["defer"] == 100)
        #expect(counter["deinit"] == 100)
    }

    // Credentials are tested through the built binary (RunCommandTests): setting them here
    // with setenv would race with other tests' Process.run, which reads the environment.

    @Test func binaryChunksNeverLoad() async {
        let r = await run("""
        local bin = string.dump(function() return 1 end)
        local f, err = load(bin)
        local f2, err2 = load(bin, "x", "b")
        local f3, err3 = load(bin, "x", "bt", {})
        local path = os.tmpname()
        local h = io.open(path, "wb"); h:write(bin); h:close()
        local f4, err4 = loadfile(path, "b")
        local ok5, err5 = pcall(dofile, path)
        os.remove(path)
        return f == nil and f2 == nil and f3 == nil and f4 == nil and not ok5, tostring(err2)
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(true))
        #expect(r.values.count > 1 && r.values[1].stringValue?.contains("binary") == true)
    }

    @Test func textLoadWithEnvironmentStillWorks() async {
        let r = await run("""
        local f = load("return x", "chunk", "t", {x = 5})
        local g = load("return 6")
        return f(), g()
        """)
        #expect(r.values == [.int(5), .int(6)], "\(r.message)")
    }

    @Test func memoryLimitStopsAStringBombCleanly() async {
        let r = await run("""
        local ok, err = pcall(string.rep, "x", 1 << 30)
        local ok2, err2 = pcall(function() local t = {} for i = 1, 1e8 do t[i] = i end end)
        return ok, tostring(err), ok2, tostring(err2), #string.rep("y", 1000)
        """, memoryLimit: 32 << 20)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.count == 5)
        #expect(r.values.first == .bool(false))
        #expect(r.values.count > 1 && r.values[1].stringValue?.contains("not enough memory") == true)
        #expect(r.values.count > 2 && r.values[2] == .bool(false))
        #expect(r.values.last == .int(1000))
    }

    @Test func cpuLimitCannotBeSwallowedByPcall() async {
        let r = await run("""
        local n = 0
        while true do
          pcall(function() while true do n = n + 1 end end)
          n = n + 1
        end
        """, cpuLimit: 0.3)
        #expect(r.status == 1)
        #expect(r.message.contains("CPU limit"), "\(r.message)")
    }

    @Test func cpuLimitCountsLuaTimeNotWaiting() async {
        let r = await run("kling.sleep(0.5) return 'slept'", cpuLimit: 0.2)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.string("slept")])
    }

    @Test func interruptStopsABusyLoopRunsCloseHandlersAndExits130() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let marker = dir.appendingPathComponent("closed").path
        let lines = Lines()
        let ready = Readiness()
        let options = ScriptOptions(source: .code("""
        local h <close> = setmetatable({}, {__close = function()
          local f = io.open("\(marker)", "w"); f:write("main"); f:close()
        end})
        local s = kling.spawn(function()
          local g <close> = setmetatable({}, {__close = function()
            local f = io.open("\(marker).spawned", "w"); f:write("spawned"); f:close()
          end})
          kling.sleep(100)
        end)
        kling.sleep(0) -- let the spawned function start
        kling.log("ready")
        while true do pcall(function() while true do end end) end
        """), diagnostics: { lines.add($0); ready.signal() }, liveProgress: false)
        let runner = ScriptRunner(options: options)
        async let result = runner.run()
        await ready.wait()
        runner.interrupt()
        let r = await result
        // 130, not 0: the script loops forever, so only the interrupt ends it.
        #expect(r.exitStatus == 130)
        #expect(FileManager.default.contents(atPath: marker).map { String(decoding: $0, as: UTF8.self) } == "main")
        #expect(FileManager.default.fileExists(atPath: marker + ".spawned"))
    }

    @Test func interruptWhileWaitingCancelsTheWait() async {
        let ready = Readiness()
        let options = ScriptOptions(source: .code("kling.log('waiting') kling.sleep(100)"), diagnostics: { _ in ready.signal() },
                                    liveProgress: false)
        let runner = ScriptRunner(options: options)
        async let result = runner.run()
        await ready.wait()
        runner.interrupt()
        let r = await result
        // 130, not 0: a finished 100 s sleep would exit 0; only the interrupt gives 130.
        #expect(r.exitStatus == 130)
    }
}
