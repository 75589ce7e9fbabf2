import Foundation
import KlipMedia
import Testing
@testable import KlipScript

/// Issue 9: a backtracking pattern runs in klip's matcher, which polls the kill, so the CPU
/// limit and Ctrl-C stop it like any Lua loop (Lua's own matcher never reached the hook).
@Suite("Patterns stop at the limits") struct PatternLimitsTests {
    /// Exponential backtracking: twelve `a*` over twenty a's, then a `b` that is not there
    /// (seconds of CPU in lua5.4). Then a marker file is written: a matcher that does not
    /// poll finishes the find and writes it before the count hook notices the limit (an
    /// io.open is no binding, which would check); klip's matcher stops inside the find.
    static func backtracking(marker: String) -> String {
        """
        local found = string.find(("a"):rep(20), ("a*"):rep(12) .. "b")
        local f = io.open("\(marker)", "w") f:write("after the pattern") f:close()
        return found
        """
    }

    static func marker() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("klip-pattern-\(UUID().uuidString)").path
    }

    @Test func aBacktrackingFindEndsAtTheCPULimit() async {
        let marker = Self.marker()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let r = await run(Self.backtracking(marker: marker), cpuLimit: 0.5)
        #expect(r.status == 1, "\(r.message)")
        #expect(r.message.contains("CPU limit"), "\(r.message)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the script ran on after the pattern")
    }

    @Test func pcallCannotCatchTheCPULimitInAPattern() async {
        let marker = Self.marker()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let r = await run("""
        local ok, err = pcall(function() return ("x"):rep(22):gsub(("x-"):rep(11) .. "y", "") end)
        local f = io.open("\(marker)", "w") f:write(tostring(err)) f:close()
        return "finished"
        """, cpuLimit: 0.5)
        #expect(r.status == 1, "\(r.message)")
        #expect(r.message.contains("CPU limit"), "\(r.message)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the script ran on after the pattern")
    }

    /// The gsub's first match (the "b" at position 1) logs "ready" from its replacement
    /// function; every later position backtracks, so the interrupt lands inside the matcher.
    @Test func ctrlCStopsABacktrackingGsub() async {
        let marker = Self.marker()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let code = """
        local s = "b" .. ("a"):rep(20)
        s:gsub(("a*"):rep(12) .. "b", function() kling.log("ready") end)
        local f = io.open("\(marker)", "w") f:write("after the pattern") f:close()
        """
        let ready = Readiness()
        let options = ScriptOptions(source: .code(code), diagnostics: { line in
            if line.contains("ready") { ready.signal() }
        }, liveProgress: false)
        let runner = ScriptRunner(options: options)
        async let result = runner.run()
        await ready.wait()
        runner.interrupt()
        let r = await result
        #expect(r.exitStatus == 130, "\(r.errorMessage ?? "")")
        #expect(!FileManager.default.fileExists(atPath: marker), "the script ran on after the pattern")
    }

    /// Not a timed test: prints klip's matcher against lua5.4's on ordinary patterns over
    /// 1 MB when KLIP_BENCH=1 (meaningful on a release build).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1"))
    func ordinaryPatternsOverAMegabyteAgainstLua() async throws {
        let bench = """
        local words = {}
        for i = 1, 60000 do words[i] = ("word%d"):format(i % 977) end
        local s = table.concat(words, " \\t"):sub(1, 1 << 20)
        local clock = os.clock
        local t0 = clock()
        for _ = 1, 3 do
          assert(not s:find("%d+x"))
          local n = 0
          for w in s:gmatch("%a+%d*") do n = n + 1 end
          assert(n > 50000)
          assert(select(2, s:gsub("%s+", " ")) > 50000)
          assert(s:match("^(.-)%s") == "word1")
          assert(select(2, s:gsub("(w)(o)", "%2%1")) > 50000)
          assert(not s:find("[xyz][xyz]"))
        end
        return clock() - t0
        """
        let reference = try await ProcessRunner.run("/usr/bin/lua5.4", ["-e", "io.write(string.format('%.17g', (function() \(bench) end)()))"])
        let lua = Double(String(decoding: reference.stdout, as: UTF8.self))
        let r = await run(bench)
        guard let lua, let klip = r.values.first?.number else {
            Issue.record("lua5.4: \(reference.stderr) klip: \(r.values) \(r.message)")
            return
        }
        print(String(format: "bench: patterns over 1 MB (find, gmatch, gsub, match, x3): klip %.3f s, lua5.4 %.3f s (%.2fx); goal <= 2x",
                     klip, lua, klip / lua))
    }
}
