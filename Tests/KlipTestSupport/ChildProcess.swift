import Foundation
import Synchronization

/// A child process whose output is collected as it comes, so a test can wait for what it
/// said (moto_server's address, klip serve's URL). Shared by the test targets that start
/// servers (KlipServerTests' ServeProcess wraps it, KlipUploadTests uses it directly).
public final class ChildProcess: Sendable {
    /// The repository's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The debug `klip` that `swift build --build-tests` made.
    public static var klip: String { root.appendingPathComponent(".build/debug/klip").path }

    private struct State {
        var text = ""
        var ended = false
        var exit: Int32?
        var waiters: [(id: UUID, ready: @Sendable (State) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let process: Process
    private final class Shared: Sendable {
        let mutex = Mutex(State())
    }
    private let state = Shared()
    public let pid: Int32

    /// `stdout: false` sends standard output to /dev/null; only stderr is then collected.
    public init(executable: String, arguments: [String], environment: [String: String],
                directory: URL = ChildProcess.root, stdout: Bool = true) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = stdout ? pipe : FileHandle.nullDevice
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

    /// The whole output, once the process has ended and its pipe closed.
    public func finish(timeout: Duration = .seconds(900)) async -> (status: Int32?, output: String) {
        _ = await wait(timeout: timeout) { $0.exit != nil && $0.ended }
        return state.mutex.withLock { ($0.exit, $0.text) }
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

    /// Everything collected so far.
    public var output: String { state.mutex.withLock { $0.text } }

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

    /// The first line collected containing `text` (nil if none came in time).
    public func waitForLine(containing text: String, timeout: Duration = .seconds(300)) async -> String? {
        guard await wait(timeout: timeout, until: { $0.text.contains(text) || $0.exit != nil && $0.ended }) else { return nil }
        return output.split(separator: "\n").first { $0.contains(text) }.map(String.init)
    }

    /// The exit status so far, without waiting: nil while it runs.
    public var exited: Int32? { state.mutex.withLock { $0.exit } }

    /// The exit status (or the signal number, for a process ended by a signal); nil if still running.
    public func exitStatus(timeout: Duration = .seconds(120)) async -> Int32? {
        guard await wait(timeout: timeout, until: { $0.exit != nil }) else { return nil }
        return state.mutex.withLock { $0.exit }
    }

    public var terminatedBySignal: Bool { process.terminationReason == .uncaughtSignal }

    public func kill(_ signal: Int32) { _ = Foundation.kill(pid, signal) }

    /// Ends the process if a test left it running.
    public func ensureStopped() async {
        if state.mutex.withLock({ $0.exit == nil }) {
            kill(SIGKILL)
            _ = await exitStatus(timeout: .seconds(30))
        }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
