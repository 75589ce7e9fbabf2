import Foundation
import Synchronization
import Testing

/// The built `klip serve` as a child process (built by `swift build --build-tests`): its
/// stderr is collected line by line, so a test can wait for what the server says it did.
final class ServeProcess: Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/debug/klip").path }
    static var repoMedia: String { root.appendingPathComponent("media").path }

    private struct State {
        var text = ""
        /// stderr is closed: everything the process wrote is in `text`.
        var ended = false
        var exit: Int32?
        var waiters: [(id: UUID, ready: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let process: Process
    private final class Shared: Sendable {
        let mutex = Mutex(State())
    }
    private let state = Shared()
    let pid: Int32
    /// From the `listening on` line.
    var baseURL: String {
        let line = stderr.split(separator: "\n").first { $0.contains("klip serve: listening on") } ?? ""
        return line.range(of: #"http://[0-9.:\[\]]+"#, options: .regularExpression).map { String(line[$0]) } ?? ""
    }

    /// Starts `klip serve --port 0 <arguments>` and returns once it announces its URL.
    /// `launcher` runs it through another program (e.g. `prlimit --nofile=256`) that execs it.
    static func start(_ arguments: [String], launcher: [String] = []) async throws -> ServeProcess {
        let server = try ServeProcess(arguments, launcher: launcher)
        guard await server.waitForLine(containing: "klip serve: listening on", timeout: .seconds(120)) != nil, !server.baseURL.isEmpty else {
            await server.ensureStopped()
            throw ServeProcessError("klip serve did not announce its URL (exit \(server.state.mutex.withLock { $0.exit }.map(String.init) ?? "none")); stderr:\n\(server.stderr)")
        }
        return server
    }

    private init(_ arguments: [String], launcher: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw ServeProcessError("\(Self.binary) is missing: run swift build --build-tests first")
        }
        let process = Process()
        let command = launcher + [Self.binary, "serve", "--port", "0"] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = Self.root
        var environment = ProcessInfo.processInfo.environment
        for name in ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY"] { environment[name] = nil }
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let state = state
        // A plain reading thread: FileHandle.readabilityHandler crashes in libdispatch on Linux.
        let reader = pipe.fileHandleForReading
        Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty {
                    Self.update(state) { $0.ended = true }
                    break
                }
                Self.update(state) { $0.text += String(decoding: data, as: UTF8.self) }
            }
        }.start()
        process.terminationHandler = { process in
            Self.update(state) { $0.exit = process.terminationStatus }
        }
        try process.run()
        pid = process.processIdentifier
    }

    private static func update(_ state: Shared, _ change: (inout State) -> Void) {
        let ready = state.mutex.withLock { s -> [CheckedContinuation<Void, Never>] in
            change(&s)
            let snapshot = s
            let done = s.waiters.filter { $0.ready(snapshot) }
            s.waiters.removeAll { w in done.contains { $0.id == w.id } }
            return done.map(\.continuation)
        }
        ready.forEach { $0.resume() }
    }

    var stderr: String { state.mutex.withLock { $0.text } }

    /// Waits (at most `timeout`, a bound for a broken run, not a measurement) until `ready` holds.
    private func wait(timeout: Duration, until ready: @escaping @Sendable (State) -> Bool) async -> Bool {
        let id = UUID()
        let state = self.state
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.mutex.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let now = state.mutex.withLock { s -> Bool in
                if ready(s) { return true }
                s.waiters.append((id, ready, continuation))
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
        return state.mutex.withLock { ready($0) }
    }

    /// The first stderr line containing `text` (nil if none came in time).
    func waitForLine(containing text: String, timeout: Duration = .seconds(300)) async -> String? {
        guard await wait(timeout: timeout, until: { $0.text.contains(text) || $0.exit != nil && $0.ended }) else { return nil }
        return stderr.split(separator: "\n").first { $0.contains(text) }.map(String.init)
    }

    /// The exit status (or the signal number, for a process ended by a signal); nil if still running.
    func exitStatus(timeout: Duration = .seconds(120)) async -> Int32? {
        guard await wait(timeout: timeout, until: { $0.exit != nil }) else { return nil }
        return state.mutex.withLock { $0.exit }
    }

    var terminatedBySignal: Bool { process.terminationReason == .uncaughtSignal }

    func kill(_ signal: Int32) { _ = Foundation.kill(pid, signal) }

    /// Ends the process if a test left it running.
    func ensureStopped() async {
        if state.mutex.withLock({ $0.exit == nil }) {
            kill(SIGKILL)
            _ = await exitStatus(timeout: .seconds(30))
        }
    }
}

struct ServeProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
