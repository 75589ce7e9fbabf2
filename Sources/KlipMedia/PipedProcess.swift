import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// An ffmpeg (or other tool) subprocess whose stdin and/or stdout are raw byte pipes read
/// and written with blocking calls, for use from a dedicated thread (see `DedicatedThread`).
///
/// The tool runs under `swift-subprocess` in a detached task: its exit is seen by the
/// library's monitor thread and its stderr is read through epoll into a bounded tail, so
/// nothing but the caller's own dedicated thread ever blocks. The frame pipes are ours
/// (close-on-exec, so no other child inherits them); the child's ends are closed as soon as
/// the tool is reaped, and ours on `finish()` or deinit, so every path returns to the same
/// open-fd count. `cancel()` may be called from any thread.
final class PipedProcess: @unchecked Sendable {
    let tool: String
    private let stdinFD: Int32?
    private let stdoutFD: Int32?
    private let exit = ExitLatch()
    private let runner: Task<Void, Never>
    private let lock = NSLock()
    private var cancelledFlag = false
    private var stdinClosed = false
    private var stdoutClosed = false

    init(tool: String, arguments: [String], pipeStdin: Bool, pipeStdout: Bool) throws {
        guard let executable = ProcessRunner.locate(tool) else { throw MediaError.toolMissing(tool) }
        self.tool = tool
        // A write to a pipe whose reader died must fail with EPIPE, not kill the server.
        PipedProcess.ignoreSigpipe
        let input = pipeStdin ? try Self.pipe(tool) : nil
        let output: (read: Int32, write: Int32)?
        do { output = pipeStdout ? try Self.pipe(tool) : nil } catch {
            if let input { close(input.read); close(input.write) }
            throw error
        }
        stdinFD = input?.write
        stdoutFD = output?.read
        let configuration = Configuration(executable: .path(FilePath(executable)), arguments: Arguments(arguments))
        let childIn = input?.read ?? open("/dev/null", O_RDONLY | O_CLOEXEC)
        let childOut = output?.write ?? open("/dev/null", O_WRONLY | O_CLOEXEC)
        let exit = self.exit
        // The task holds only the child's fds and the latch, never self: dropping an
        // unfinished PipedProcess still reaches deinit, which stops the tool.
        runner = Task.detached {
            let outcome = await Self.run(configuration, stdin: childIn, stdout: childOut)
            close(childIn)
            close(childOut)
            exit.set(outcome)
        }
    }

    private static let ignoreSigpipe: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    private static func pipe(_ tool: String) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        // swift-subprocess closes every other fd in its children; close-on-exec covers any
        // other spawner in the process (Glibc does not export pipe2).
        guard Glibc.pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw MediaError.toolFailed(tool: tool, status: -1, stderr: "cannot open a pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Runs the tool to its end: (exit status, stderr tail), or the launch failure.
    private static func run(_ configuration: Configuration, stdin: Int32, stdout: Int32) async -> Result<(Int32, String), any Error> {
        do {
            let result = try await Subprocess.run(
                configuration,
                input: .fileDescriptor(FileDescriptor(rawValue: stdin), closeAfterSpawningProcess: false),
                output: .fileDescriptor(FileDescriptor(rawValue: stdout), closeAfterSpawningProcess: false),
                error: .sequence
            ) { execution in
                try await StreamTail.read(execution.standardError, keep: 4000)
            }
            return .success((result.terminationStatus.code, result.closureResult))
        } catch {
            return .failure(error)
        }
    }

    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelledFlag }

    /// Stops the tool (SIGKILL through the task's cancellation). Blocked reads then see the
    /// end of the stream, blocked writes fail.
    func cancel() {
        lock.lock(); cancelledFlag = true; lock.unlock()
        runner.cancel()
    }

    /// Fills `buffer` completely from stdout. Returns false on a clean end of stream before
    /// the first byte; throws if the stream ends in the middle of the buffer.
    func readExactly(_ buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard let fd = stdoutFD, let base = buffer.baseAddress else { return false }
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, base + filled, buffer.count - filled)
            if n > 0 { filled += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n == 0 && filled == 0 { return false }
            if isCancelled { throw CancellationError() }
            throw MediaError.toolFailed(tool: tool, status: -1,
                                        stderr: "stream ended inside a frame (\(filled) of \(buffer.count) bytes)")
        }
        return true
    }

    /// Writes all of `bytes` to stdin.
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let fd = stdinFD, let base = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            let n = write(fd, base + written, bytes.count - written)
            if n > 0 { written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if isCancelled { throw CancellationError() }
            // The tool stopped reading: its stderr says why.
            let (status, stderr) = try waitForExit()
            throw MediaError.toolFailed(tool: tool, status: status, stderr: stderr)
        }
    }

    /// Closes stdin so the tool sees the end of its input.
    func closeStdin() {
        lock.lock(); let close = !stdinClosed; stdinClosed = true; lock.unlock()
        if close, let fd = stdinFD { Glibc.close(fd) }
    }

    private func closeStdout() {
        lock.lock(); let close = !stdoutClosed; stdoutClosed = true; lock.unlock()
        if close, let fd = stdoutFD { Glibc.close(fd) }
    }

    /// Blocks the calling (dedicated) thread until the tool is reaped.
    private func waitForExit() throws -> (Int32, String) {
        switch exit.wait() {
        case let .success(outcome): return outcome
        case let .failure(error):
            if error is CancellationError || isCancelled { throw CancellationError() }
            throw MediaError.toolFailed(tool: tool, status: -1, stderr: "\(error)")
        }
    }

    /// Closes stdin, waits, and throws unless the tool exited with 0.
    func finish() throws {
        closeStdin()
        // Unread output would keep a tool blocked on a full pipe: discard it.
        closeStdout()
        let (status, stderr) = try waitForExit()
        if isCancelled { throw CancellationError() }
        guard status == 0 else { throw MediaError.toolFailed(tool: tool, status: status, stderr: stderr) }
    }

    deinit {
        runner.cancel()
        closeStdin()
        closeStdout()
    }
}

/// The tool's outcome, set once by its task and awaited by a dedicated thread.
private final class ExitLatch: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<(Int32, String), any Error>?

    func set(_ value: Result<(Int32, String), any Error>) {
        condition.lock(); outcome = value; condition.broadcast(); condition.unlock()
    }

    func wait() -> Result<(Int32, String), any Error> {
        condition.lock(); defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return outcome!
    }
}
