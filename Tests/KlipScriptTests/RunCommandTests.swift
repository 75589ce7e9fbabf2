import Foundation
import Testing

/// `klip run` as a user runs it: the built binary, in a child process.
@Suite(.serialized, .enabled(if: KlipBinary.path != nil)) struct RunCommandTests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs klip; `interruptWhen` sends SIGINT once stdout contains that text.
    func klip(_ arguments: [String], env: [String: String] = [:], interruptWhen marker: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KlipBinary.path!)
        process.arguments = arguments
        process.currentDirectoryURL = KlipBinary.root
        var environment = ProcessInfo.processInfo.environment
        for name in ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_BASE_URL", "KLING_PREFIX"] {
            environment[name] = nil
        }
        environment["KLIP_STATE_DIR"] = FileManager.default.temporaryDirectory.appendingPathComponent("klip-run-\(UUID().uuidString)").path
        process.environment = environment.merging(env) { $1 }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-run-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Bounds no load reaches: a run that outlives them is a hang, recorded as one.
        let clock = ContinuousClock()
        if let marker {
            let deadline = clock.now + .seconds(300)
            var seen = false
            while !seen, process.isRunning, clock.now < deadline {
                seen = ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains(marker)
                if !seen { try await Task.sleep(for: .milliseconds(50)) }
            }
            seen = seen || ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains(marker)
            if !seen { Issue.record("'\(marker)' never appeared on stdout: the interrupt is not sent mid-run") }
            if process.isRunning { kill(process.processIdentifier, SIGINT) }
        }
        let deadline = clock.now + .seconds(300)
        while process.isRunning, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Issue.record("klip \(arguments) still running after 300 s: killed")
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test func codeArgumentsAndStdout() async throws {
        let r = try await klip(["run", "-e", "print(#arg, ...) kling.log('to stderr') print('second')", "a", "--b"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "2\ta\t--b\nsecond\n")
        #expect(r.stderr.contains("to stderr"))
    }

    @Test func scriptFileErrorExitsOneWithTheScriptsLine() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("fails.lua")
        try "print('before')\nlocal t = nil\nprint(t.x)\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try await klip(["run", script.path])
        #expect(r.status == 1)
        #expect(r.stdout == "before\n")
        #expect(r.stderr.contains("fails.lua:3: attempt to index a nil value"), "\(r.stderr)")
        #expect(r.stderr.contains("stack traceback"))
    }

    @Test func ctrlCRunsCloseHandlersAndExits130() async throws {
        let r = try await klip(["run", "-e", """
        local guard <close> = setmetatable({}, {__close = function() print("closed") end})
        print("ready")
        while true do pcall(function() while true do end end) end
        """], interruptWhen: "ready")
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stdout == "ready\nclosed\n")
        #expect(r.stderr.contains("interrupted"))
    }

    @Test func ctrlCWhileWaitingExits130() async throws {
        let r = try await klip(["run", "-e", "print('ready') kling.sleep(100)"], interruptWhen: "ready")
        #expect(r.status == 130, "\(r.stderr)")
    }

    @Test func credentialsNeverReachTheScript() async throws {
        let r = try await klip(["run", "-e", "print(os.getenv('KLING_SECRET_KEY'), os.getenv('KLING_API_KEY'), io.popen('env'):read('a'):find('sk%-leak') ~= nil)"],
                               env: ["KLING_SECRET_KEY": "sk-leak", "KLING_ACCESS_KEY": "ak-leak", "KLING_BASE_URL": "http://127.0.0.1:9"])
        #expect(r.stdout == "nil\tnil\tfalse\n", "\(r.stdout) \(r.stderr)")
    }

    @Test func limitsAndSandboxFlags() async throws {
        let mem = try await klip(["run", "--memory-limit", "16M", "-e", "print(pcall(string.rep, 'x', 1 << 28))"])
        #expect(mem.stdout == "false\tnot enough memory\n", "\(mem.stderr)")
        let cpu = try await klip(["run", "--cpu-limit", "0.2", "-e", "while true do end"])
        #expect(cpu.status == 1)
        #expect(cpu.stderr.contains("CPU limit"))
        let sandbox = try await klip(["run", "--sandbox", "-e", "print(io, os.execute, debug)"])
        #expect(sandbox.stdout == "nil\tnil\tnil\n", "\(sandbox.stderr)")
        let bad = try await klip(["run", "--memory-limit", "lots", "-e", ""])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--memory-limit"))
    }

    @Test func osExitSetsTheStatus() async throws {
        let r = try await klip(["run", "-e", "print('x') os.exit(7)"])
        #expect(r.status == 7)
        #expect(r.stdout == "x\n")
    }
}

enum KlipBinary {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var path: String? {
        for config in ["debug", "release"] {
            let p = root.appendingPathComponent(".build/\(config)/klip").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
