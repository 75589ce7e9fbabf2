import Foundation
import Testing
@testable import KlipScript

@Suite struct SandboxTests {
    @Test func dangerousLibrariesAreGone() async {
        let r = await run("""
        return io == nil, os.execute == nil, os.getenv == nil, os.remove == nil, package == nil, debug == nil,
               string.dump == nil, collectgarbage == nil, dofile == nil, loadfile == nil, ("").dump == nil,
               os.time() > 0, require("kling") == kling
        """, sandbox: true)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.count == 13)
        #expect(r.values.allSatisfy { $0 == .bool(true) }, "\(r.values)")
    }

    @Test func requireOfOtherModulesFails() async {
        let r = await run("local ok, err = pcall(require, 'io') return ok, tostring(err)", sandbox: true)
        #expect(r.values.first == .bool(false))
    }

    @Test func loadCannotReachOutsideTheSandbox() async {
        let r = await run("""
        local f = load("return io, os.execute, debug")
        local a, b, c = f()
        local ok = pcall(load, string.char(27) .. "Lua")
        return a == nil and b == nil and c == nil
        """, sandbox: true)
        #expect(r.values == [.bool(true)], "\(r.message)")
    }

    @Test func filesOutsideTheScriptFolderAreRefused() async throws {
        let (r, _) = try await runFile("""
        local ok, err = pcall(kling.probe, "/etc/passwd")
        local ok2, err2 = pcall(kling.probe, "../../etc/passwd")
        return ok, err.kind, err.field, tostring(err), ok2
        """, sandbox: true)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(false))
        #expect(r.values.count > 3 && r.values[1] == .string("validation"))
        #expect(r.values.count > 3 && r.values[3].stringValue?.contains("outside the folders") == true)
        #expect(r.values.last == .bool(false))
    }

    @Test func allowDirOpensAFolder() async throws {
        let allowed = FileManager.default.temporaryDirectory.appendingPathComponent("klip-allow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        let (r, _) = try await runFile("""
        local ok, err = pcall(kling.probe, "\(allowed.path)/missing.wav")
        return ok, err.kind, tostring(err)
        """, sandbox: true, allow: [allowed.path])
        // Allowed: it gets as far as probing (and fails for a missing file, not for the folder).
        #expect(r.values.count == 3)
        #expect(r.values.last?.stringValue?.contains("outside the folders") == false, "\(r.values)")
    }

    @Test func symlinksOutOfTheFolderAreRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-link-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("escape").path, withDestinationPath: "/etc")
        let script = dir.appendingPathComponent("s.lua")
        try "local ok, err = pcall(kling.probe, 'escape/passwd') return ok, tostring(err)".write(to: script, atomically: true, encoding: .utf8)
        let prev = FileManager.default.currentDirectoryPath
        _ = prev
        let options = ScriptOptions(source: .file(script.path), sandbox: true, diagnostics: { _ in }, liveProgress: false)
        let r = await ScriptRunner(options: options).run()
        #expect(r.values.first == .bool(false))
    }

    @Test func sandboxHasLimitsByDefault() async {
        let r = await run("local ok, err = pcall(string.rep, 'x', 1 << 30) return ok, tostring(err)", sandbox: true)
        #expect(r.values.first == .bool(false))
        #expect(r.values.last?.stringValue?.contains("not enough memory") == true)
    }

    @Test func metatableOfStringsCannotBeUsedToEscape() async {
        let r = await run("""
        local mt = getmetatable("")
        return mt.__index.dump == nil, rawget(string, "dump") == nil
        """, sandbox: true)
        #expect(r.values == [.bool(true), .bool(true)], "\(r.message)")
    }
}

@Suite struct HostileArgumentTests {
    @Test func sharedSubtablesCannotExplodeTheEncoding() async {
        let r = await run("""
        local t = {}
        for i = 1, 40 do t = {a = t, b = t} end
        local ok, err = pcall(kling.json.encode, t)
        local cyc = {}; cyc.self = cyc
        local ok2, err2 = pcall(kling.json.encode, cyc)
        return ok, tostring(err), ok2
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(false))
        #expect(r.values.count > 1 && r.values[1].stringValue?.contains("too large") == true, "\(r.values)")
        #expect(r.values.last == .bool(false))
    }
}
