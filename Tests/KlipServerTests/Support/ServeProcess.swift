import Foundation
import KlipTestSupport

/// The built `klip serve` as a child process (built by `swift build --build-tests`): its
/// stderr is collected line by line, so a test can wait for what the server says it did.
final class ServeProcess: Sendable {
    static var root: URL { ChildProcess.root }
    static var binary: String { ChildProcess.klip }
    static var repoMedia: String { root.appendingPathComponent("media").path }

    private let child: ChildProcess
    var pid: Int32 { child.pid }
    var stderr: String { child.output }
    /// From the `listening on` line.
    var baseURL: String {
        let line = stderr.split(separator: "\n").first { $0.contains("klip serve: listening on") } ?? ""
        return line.range(of: #"http://[0-9.:\[\]]+"#, options: .regularExpression).map { String(line[$0]) } ?? ""
    }

    /// Starts `klip serve --port 0 <arguments>` and returns once it announces its URL.
    /// `launcher` runs it through another program (e.g. `prlimit --nofile=256`) that execs it.
    static func start(_ arguments: [String], launcher: [String] = []) async throws -> ServeProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ServeProcessError("\(binary) is missing: run swift build --build-tests first")
        }
        let command = launcher + [binary, "serve", "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY"] { environment[name] = nil }
        let server = ServeProcess(try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()),
                                                   environment: environment, stdout: false))
        guard await server.waitForLine(containing: "klip serve: listening on", timeout: .seconds(120)) != nil, !server.baseURL.isEmpty else {
            await server.ensureStopped()
            throw ServeProcessError("klip serve did not announce its URL (exit \(server.child.exited.map(String.init) ?? "none")); stderr:\n\(server.stderr)")
        }
        return server
    }

    private init(_ child: ChildProcess) { self.child = child }

    /// The first stderr line containing `text` (nil if none came in time).
    func waitForLine(containing text: String, timeout: Duration = .seconds(300)) async -> String? {
        await child.waitForLine(containing: text, timeout: timeout)
    }

    /// The exit status (or the signal number, for a process ended by a signal); nil if still running.
    func exitStatus(timeout: Duration = .seconds(120)) async -> Int32? { await child.exitStatus(timeout: timeout) }
    var terminatedBySignal: Bool { child.terminatedBySignal }
    func kill(_ signal: Int32) { child.kill(signal) }
    /// Ends the server if a test left it running.
    func ensureStopped() async { await child.ensureStopped() }
}

typealias ServeProcessError = ChildProcessError
