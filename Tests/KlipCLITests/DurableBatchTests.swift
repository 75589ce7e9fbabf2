import Foundation
import KlipMedia
import Testing

/// Issue 5's promises, end to end with the built binary against `klip serve`: a batch under
/// injected faults, and a batch killed halfway and run again, each end with exactly one
/// task per clip on the server and every result downloaded.
@Suite(.serialized) struct DurableBatchTests {
    static let script = CLIRunner.root.appendingPathComponent("Tests/KlipCLITests/Scripts/batch.lua").path
    static let clips = 50

    struct Setup {
        let klip: CLIRunner
        let server: ServeProcess
        let env: [String: String]
        let out: String
    }

    func start(faults: String?) async throws -> Setup {
        let klip = try CLIRunner()
        var args = ["serve", "--port", "0", "--api-key", "batch-key", "--render", "none", "--max-parallel", "64",
                    "--media-root", CLIRunner.root.appendingPathComponent("media").path,
                    "--state-dir", klip.stateDir + "/serve", "--loopback-only"]
        if let faults { args += ["--faults", faults, "--faults-seed", "11"] }
        let server = try ServeProcess(arguments: args, environment: klip.environment)
        let url = try await server.baseURL()
        let out = klip.stateDir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        return Setup(klip: klip, server: server, env: ["KLING_BASE_URL": url, "KLING_API_KEY": "batch-key"], out: out)
    }

    /// Tasks the server holds, read without faults from a fresh emulator on the same state.
    func tasksOnServer(_ s: Setup) async throws -> [String] {
        s.server.stop()
        let quiet = try ServeProcess(arguments: ["serve", "--port", "0", "--api-key", "batch-key", "--render", "none",
                                                 "--state-dir", s.klip.stateDir + "/serve"], environment: s.klip.environment)
        defer { quiet.stop() }
        let url = try await quiet.baseURL()
        let listed = try await s.klip("tasks", "--json", "--size", "500", env: ["KLING_BASE_URL": url, "KLING_API_KEY": "batch-key"])
        #expect(listed.status == 0, "\(listed.stderr)")
        return try JSONDecoder().decode([TaskJSON].self, from: Data(listed.stdout.utf8)).map(\.task_id)
    }

    func downloads(_ s: Setup) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: s.out).filter { $0.hasSuffix(".mp4") }.sorted()
    }

    @Test func aBatchUnder20PercentFaultsMakesExactlyOneTaskPerClip() async throws {
        let s = try await start(faults: "all=0.2")
        defer { s.server.stop() }
        let run = try await s.klip.run(["run", Self.script, "\(Self.clips)", s.out], env: s.env)
        #expect(run.status == 0, "\(run.stderr.suffix(3000))")
        #expect(run.stdout.contains("downloaded \(Self.clips)"))
        #expect(try downloads(s).count == Self.clips)
        let tasks = try await tasksOnServer(s)
        #expect(tasks.count == Self.clips)
        #expect(Set(tasks).count == Self.clips)
    }

    @Test func aBatchKilledHalfwayAndRunAgainMakesExactlyOneTaskPerClip() async throws {
        // Every answer held back 100 ms, so the 50 creates take seconds and the kill lands
        // mid-batch however fast the client is (a whole batch once ran between two 25 ms
        // looks at its output, and there was nothing left to kill).
        let s = try await start(faults: "slow=1:100ms")
        defer { s.server.stop() }
        let first = try KillableRun(arguments: ["run", Self.script, "\(Self.clips)", s.out],
                                    environment: s.klip.environment.merging(s.env) { $1 })
        try await first.waitFor("created \(Self.clips / 2)\n")
        first.kill()
        #expect(!first.output.contains("downloaded"))

        let second = try await s.klip.run(["run", Self.script, "\(Self.clips)", s.out], env: s.env)
        #expect(second.status == 0, "\(second.stderr.suffix(3000))")
        #expect(second.stderr.contains("is in the journal: not created again"))
        #expect(try downloads(s).count == Self.clips)
        let tasks = try await tasksOnServer(s)
        #expect(tasks.count == Self.clips)
    }
}

/// `klip` as a child whose stdout is watched, to be killed with SIGKILL at a chosen moment.
final class KillableRun: @unchecked Sendable {
    private let process = Process()
    private let file: URL

    init(arguments: [String], environment: [String: String]) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("klip-kill-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = CLIRunner.root
        process.standardOutput = try FileHandle(forWritingTo: file)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: file, encoding: .utf8)) ?? "" }

    func waitFor(_ marker: String) async throws {
        // Bounded by the run itself (it ends on its own) and by five minutes for a slow machine.
        let deadline = ContinuousClock.now + .seconds(300)
        while process.isRunning, ContinuousClock.now < deadline {
            if output.contains(marker) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        let why = process.isRunning ? "never printed" : "ended before it could be stopped after"
        throw CLIFailure(message: "the run \(why) \(marker.debugDescription): \(output.suffix(2000))")
    }

    func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
