import Foundation
import Testing
@testable import KlipScript

@Suite struct BasicsTests {
    @Test func returnsValuesOfTheMainChunk() async {
        let r = await run("return 1 + 1, 'two', {3}")
        #expect(r.status == 0)
        #expect(r.values.count == 3)
        #expect(r.values[0] == .int(2))
        #expect(r.values[1] == .string("two"))
        #expect(r.values[2][1] == .int(3))
    }

    @Test func argIsSetAsLuaSetsIt() async throws {
        let (r, dir) = try await runFile("return arg[0], arg[1], arg[2], select('#', ...), ...", arguments: ["a", "b"])
        #expect(r.status == 0)
        #expect(r.values[0] == .string(dir.appendingPathComponent("script.lua").path))
        #expect(r.values[1] == .string("a"))
        #expect(r.values[2] == .string("b"))
        #expect(r.values[3] == .int(2))
        #expect(r.values[4] == .string("a"))
    }

    @Test func uncaughtErrorNamesScriptLineAndExitsOne() async throws {
        let (r, _) = try await runFile("local x = 1\n\nlocal function f()\n  error('boom')\nend\nf()\n")
        #expect(r.status == 1)
        #expect(r.message.contains("script.lua:4: boom"))
        #expect(r.message.contains("stack traceback"))
        #expect(r.message.contains("script.lua:6: in main chunk"))
        #expect(!r.message.contains("[klip]"))
    }

    @Test func syntaxErrorIsReported() async throws {
        let (r, _) = try await runFile("local x = = 2\n")
        #expect(r.status == 1)
        #expect(r.message.contains("script.lua:1:"))
    }

    @Test func bindingErrorIsATableWithFieldsAndWhere() async throws {
        let (r, _) = try await runFile("""
        local ok, err = pcall(kling.sleep, -1)
        assert(not ok)
        return err.kind, err.field, tostring(err), err.where
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values[0] == .string("validation"))
        #expect(r.values[1] == .string("seconds"))
        #expect(r.values[2].stringValue?.hasPrefix("invalid seconds:") == true)
        #expect(r.values[3].stringValue?.hasSuffix("script.lua:1") == true)
    }

    @Test func uncaughtBindingErrorNamesScriptLine() async throws {
        let (r, _) = try await runFile("\n\nkling.sleep('x')\n")
        #expect(r.status == 1)
        #expect(r.message.contains("script.lua:3: invalid seconds"), "\(r.message)")
    }

    @Test func jsonRoundTrip() async {
        let r = await run("""
        local s = kling.json.encode({a = 1, b = {1, 2, "x"}, c = true})
        local t = kling.json.decode(s)
        return t.a, t.b[3], t.c, kling.json.encode({1, 2.5, "q\\""}), kling.json.decode('{"id": 12345678901234567890}').id
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values[0] == .int(1))
        #expect(r.values[1] == .string("x"))
        #expect(r.values[2] == .bool(true))
        #expect(r.values[3] == .string("[1,2.5,\"q\\\"\"]"))
    }

    @Test func logGoesToDiagnosticsWithScriptName() async {
        let r = await run("kling.log('hello', 42, nil)")
        #expect(r.status == 0)
        #expect(r.lines.all.contains("[(command line)] hello\t42\tnil"))
    }

    @Test func requireKlingReturnsTheModule() async {
        let r = await run("return require('kling') == kling, kling.backend, identify == kling.identify, wait == kling.wait")
        #expect(r.values == [.bool(true), .string("local"), .bool(true), .bool(true)])
    }
}

@Suite struct ExitTests {
    @Test func osExitEndsTheRunWithItsStatusAndRunsCloseHandlers() async {
        let r = await run("""
        closed = false
        local h <close> = setmetatable({}, {__close = function() closed = true; kling.log("closed") end})
        pcall(os.exit, 3)
        kling.log("after exit")
        """)
        #expect(r.status == 3)
        #expect(r.lines.all.contains("[(command line)] closed"))
        #expect(!r.lines.text.contains("after exit"))
    }

    @Test func osExitTrueIsZero() async {
        let r = await run("os.exit(true)")
        #expect(r.status == 0)
        #expect(r.message.isEmpty)
    }
}

@Suite struct ThreadTests {
    /// Lua runs on the runner's own thread, not on one of the cooperative pool's.
    @Test func luaRunsOnItsOwnThread() async {
        let r = await run("""
        local function me() local f = io.open("/proc/thread-self/comm"); local s = f:read("a"); f:close(); return s end
        local a = me()
        kling.sleep(0.01)
        return a, me()
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.count == 2)
        #expect(r.values.first == .string("klip-lua\n"), "\(r.values)")
        #expect(r.values.first == r.values.last)
    }
}

