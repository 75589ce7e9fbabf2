import Foundation
import Testing
@testable import KlipScript

/// Issue 9: a limit, once hit, ends the run non-zero whatever the script catches, and
/// Ctrl-C stops any Lua code: also `<close>` handlers after a kill and `__gc` at exit.
@Suite("Limits hold to the end") struct LimitsToTheEndTests {
    @Test func aFinalizerAtExitCannotLoopPastTheCPULimit() async {
        let r = await run("""
        setmetatable({}, {__gc = function() while true do end end})
        return "done"
        """, cpuLimit: 0.5)
        #expect(r.status == 1, "\(r.message)")
        #expect(r.message.contains("CPU limit") && r.message.contains("__gc"), "\(r.message)")
    }

    @Test func aFinalizerAtExitAllocatesUnderTheMemoryLimit() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("klip-gc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let r = await run("""
        setmetatable({}, {__gc = function()
          local ok, err = pcall(function()
            local t = {}
            for i = 1, 1e7 do t[i] = ("x"):rep(200) .. i end
          end)
          local f = io.open("\(marker)", "w"); f:write(tostring(ok), " ", tostring(err)); f:close()
        end})
        return "done"
        """, memoryLimit: 32 << 20)
        #expect(r.status == 0, "\(r.message)")
        let written = FileManager.default.contents(atPath: marker).map { String(decoding: $0, as: UTF8.self) }
        #expect(written?.hasPrefix("false") == true && written?.contains("not enough memory") == true, "\(written ?? "no marker")")
    }

    @Test func aFinalizerStillCannotWait() async {
        // Its coroutine (the hook's way in) yields only to its guard, never to the scheduler.
        let r = await run("""
        local result
        setmetatable({}, {__gc = function() result = select(2, pcall(kling.sleep, 0)) end})
        collectgarbage() collectgarbage()
        return result
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first?.stringValue?.contains("cannot be called here") == true, "\(r.values)")
    }

    @Test func ctrlCStopsAFinalizerLoopingAtExit() async {
        let (r, _) = await interrupted("""
        setmetatable({}, {__gc = function() kling.log("finalizing") while true do end end})
        return "done"
        """, at: ["finalizing"])
        #expect(r.exitStatus == 130, "\(r.errorMessage ?? "")")
    }

    @Test func closeHandlersAfterTheCPULimitHaveABudgetOfTheirOwn() async {
        let r = await run("""
        local h <close> = setmetatable({}, {__close = function() while true do end end})
        while true do end
        """, cpuLimit: 0.3)
        #expect(r.status == 1)
        #expect(r.message.contains("CPU limit"), "\(r.message)")
    }

    @Test func aSecondCtrlCStopsALoopingCloseHandler() async {
        let (r, lines) = await interrupted("""
        local h <close> = setmetatable({}, {__close = function() kling.log("closing") while true do end end})
        kling.log("ready")
        while true do end
        """, at: ["ready", "closing"])
        #expect(r.exitStatus == 130, "\(r.errorMessage ?? "")")
        #expect(lines.contains { $0.contains("closing") })
    }

    @Test func pcallInACoroutineCannotOutliveTheCPULimit() async {
        let r = await run("""
        local co = coroutine.wrap(function()
          local ok, err = pcall(function() while true do end end)
          return err
        end)
        local ok, err = pcall(co)
        kling.log("still running after: " .. tostring(err))
        return "finished"
        """, cpuLimit: 0.3)
        #expect(r.status == 1, "\(r.message)")
        #expect(r.message.contains("CPU limit"), "\(r.message)")
        #expect(!r.lines.all.contains { $0.contains("still running") }, "\(r.lines.all)")
    }

    @Test func aSpawnedFunctionThatCatchesTheCPULimitAndReturnsStillFailsTheRun() async {
        // `return pcall(...)` is a tail call: the coroutine ends without another instruction
        // of its own, so only the resume can notice the kill.
        let r = await run("""
        local h = kling.spawn(function() return pcall(function() while true do end end) end)
        local ok, err = pcall(wait, h)
        kling.log("still running after: " .. tostring(err))
        return "finished"
        """, cpuLimit: 0.3)
        #expect(r.status == 1, "\(r.message)")
        #expect(r.message.contains("CPU limit"), "\(r.message)")
        #expect(!r.lines.all.contains { $0.contains("still running") }, "\(r.lines.all)")
    }

    /// Runs `code` and sends one interrupt as each of `marks` is logged, in order.
    private func interrupted(_ code: String, at marks: [String]) async -> (ScriptResult, [String]) {
        let lines = Lines()
        let gates = marks.map { _ in Readiness() }
        let options = ScriptOptions(source: .code(code), diagnostics: { line in
            lines.add(line)
            if let i = marks.firstIndex(where: { line.contains($0) }) { gates[i].signal() }
        }, liveProgress: false)
        let runner = ScriptRunner(options: options)
        async let result = runner.run()
        for gate in gates {
            await gate.wait()
            runner.interrupt()
        }
        return (await result, lines.all)
    }
}
