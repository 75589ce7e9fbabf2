import Foundation
import KlipMedia
import Testing
@testable import KlipScript

/// Not a timed test: prints ratios when KLIP_BENCH=1 (scripts/bench can run it).
@Suite struct BenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1"))
    func bindingOverheadAgainstACFunction() async {
        let noop = Binding(name: "noop", waits: false) { _, _ in .values([]) }
        // Rounds alternate the loops and each keeps its best: on a shared machine another
        // process only ever adds time, so one unlucky loop no longer decides the ratio.
        let code = """
        local N, ROUNDS = 1000000, 5
        local clock, min = os.clock, math.min
        local c, b = math.abs, kling.noop
        local tc, tb, ts = math.huge, math.huge, math.huge
        for _ = 1, ROUNDS do
          local t0 = clock()
          for i = 1, N do c(i) end
          tc = min(tc, clock() - t0)
          t0 = clock()
          for i = 1, N do b(i) end
          tb = min(tb, clock() - t0)
          t0 = clock()
          for i = 1, N do b("a string", i, true) end
          ts = min(ts, clock() - t0)
        end
        return tc, tb, ts
        """
        let options = ScriptOptions(source: .code(code), diagnostics: { _ in }, liveProgress: false)
        let r = await ScriptRunner(options: options, backend: nil, extraBindings: [noop]).run()
        guard r.values.count == 3, let c = r.values[0].number, let b = r.values[1].number, let s = r.values[2].number else {
            Issue.record("\(r.values) \(r.errorMessage ?? "")")
            return
        }
        print(String(format: "bench: 1e6 calls (best of 5 rounds): C function %.3f s, klip binding (1 int) %.3f s (%.1fx), 3 args %.3f s (%.1fx); %.0f ns per binding call",
                     c, b, b / c, s, s / c, b * 1000))
    }
}

extension BenchmarkTests {
    /// `klip run -e ''` against `lua5.4 -e ''`: the process start-up a script pays. The
    /// goal is at most 50 ms (the API backend starts only when a binding needs it).
    /// The binary scripts/bench-script built (KLIP_BINARY: the release one), else any built one.
    static var klipBinary: String? { ProcessInfo.processInfo.environment["KLIP_BINARY"] ?? KlipBinary.path }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH"] == "1" && klipBinary != nil))
    func startUpOfAnEmptyScript() async throws {
        // Through ProcessRunner (swift-subprocess): no thread parks while the child runs.
        func median(_ tool: String, _ arguments: [String]) async throws -> Double {
            var times: [Double] = []
            for _ in 0..<21 {
                let start = ContinuousClock.now
                _ = try await ProcessRunner.run(tool, arguments)
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
            }
            return times.sorted()[times.count / 2]
        }
        let binary = Self.klipBinary!
        let klip = try await median(binary, ["run", "-e", ""])
        let help = try await median(binary, ["--help"])
        let lua = try await median("/usr/bin/lua5.4", ["-e", ""])
        print(String(format: "bench: start-up of an empty script: klip run %.1f ms, lua5.4 %.1f ms (%.1fx), klip --help %.1f ms (the process alone); goal <= 50 ms",
                     klip * 1000, lua * 1000, klip / lua, help * 1000))
    }
}

extension BenchmarkTests {
    /// For scripts/profile-binding: KLIP_PROFILE_CALLS calls of one function in a loop and
    /// nothing else, so two runs with different counts give the cost of one call. Functions:
    /// `noop` (a binding, one integer), `noop3` (a binding, a string, an integer, a boolean),
    /// `abs` (math.abs).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KLIP_PROFILE_CALLS"] != nil))
    func bindingCallsForAProfiler() async {
        let environment = ProcessInfo.processInfo.environment
        let calls = Int(environment["KLIP_PROFILE_CALLS"] ?? "") ?? 0
        let call = switch environment["KLIP_PROFILE_FUNCTION"] {
        case "abs": "local f = math.abs for i = 1, \(calls) do f(i) end"
        case "noop3": "local f = kling.noop for i = 1, \(calls) do f(\"a string\", i, true) end"
        default: "local f = kling.noop for i = 1, \(calls) do f(i) end"
        }
        let noop = Binding(name: "noop", waits: false) { _, _ in .values([]) }
        let code = call + " return \(calls)"
        let options = ScriptOptions(source: .code(code), diagnostics: { _ in }, liveProgress: false)
        let r = await ScriptRunner(options: options, backend: nil, extraBindings: [noop]).run()
        #expect(r.values == [.int(Int64(calls))], "\(r.errorMessage ?? "")")
    }
}
