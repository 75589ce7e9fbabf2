import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ffmpeg (or other tool) subprocess whose stdin and/or stdout are raw byte pipes read
/// and written with blocking calls, for use from a dedicated thread (see `DedicatedThread`).
/// stderr is drained on its own thread into a bounded tail so the tool can never block on
/// it; `cancel()` may be called from any thread.
final class PipedProcess: @unchecked Sendable {
    let tool: String
    private let process = Process()
    private let stdinPipe: Pipe?
    private let stdoutPipe: Pipe?
    private let stderrPipe = Pipe()
    private let exited = DispatchSemaphore(value: 0)
    private let stderrTail = StderrTail(limit: 4000)
    private let lock = NSLock()
    private var cancelledFlag = false
    private var stdinClosed = false

    init(tool: String, arguments: [String], pipeStdin: Bool, pipeStdout: Bool) throws {
        guard let executable = ProcessRunner.locate(tool) else { throw MediaError.toolMissing(tool) }
        self.tool = tool
        // A write to a pipe whose reader died must fail with EPIPE, not kill the server.
        PipedProcess.ignoreSigpipe
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        stdinPipe = pipeStdin ? Pipe() : nil
        stdoutPipe = pipeStdout ? Pipe() : nil
        process.standardInput = stdinPipe ?? FileHandle.nullDevice
        process.standardOutput = stdoutPipe ?? FileHandle.nullDevice
        process.standardError = stderrPipe
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw MediaError.toolFailed(tool: tool, status: -1, stderr: "\(error)")
        }
        // The drain thread holds only the pipe and the tail, never self: dropping an
        // unfinished PipedProcess still reaches deinit, which stops the tool.
        let handle = stderrPipe.fileHandleForReading, tail = stderrTail
        Thread.detachNewThread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                tail.append(chunk)
            }
            tail.markDrained()
        }
    }

    private static let ignoreSigpipe: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelledFlag }

    /// Stops the tool. Blocked reads then see the end of the stream, blocked writes fail.
    func cancel() {
        lock.lock(); cancelledFlag = true; lock.unlock()
        if process.isRunning { process.terminate() }
    }

    /// Fills `buffer` completely from stdout. Returns false on a clean end of stream before
    /// the first byte; throws if the stream ends in the middle of the buffer.
    func readExactly(_ buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard let fd = stdoutPipe?.fileHandleForReading.fileDescriptor, let base = buffer.baseAddress else { return false }
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
        guard let fd = stdinPipe?.fileHandleForWriting.fileDescriptor, let base = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            let n = write(fd, base + written, bytes.count - written)
            if n > 0 { written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if isCancelled { throw CancellationError() }
            // The tool stopped reading: its stderr says why.
            _ = waitForExit()
            throw MediaError.toolFailed(tool: tool, status: process.terminationStatus, stderr: stderrText())
        }
    }

    /// Closes stdin so the tool sees the end of its input.
    func closeStdin() {
        lock.lock(); let already = stdinClosed; stdinClosed = true; lock.unlock()
        if !already, let pipe = stdinPipe { try? pipe.fileHandleForWriting.close() }
    }

    /// Waits for the tool to exit and returns its status.
    @discardableResult
    func waitForExit() -> Int32 {
        exited.wait(); exited.signal()
        stderrTail.waitDrained()
        return process.terminationStatus
    }

    /// Closes stdin, waits, and throws unless the tool exited with 0.
    func finish() throws {
        closeStdin()
        // Unread output would keep a tool blocked on a full pipe: discard it.
        if let out = stdoutPipe { try? out.fileHandleForReading.close() }
        let status = waitForExit()
        if isCancelled { throw CancellationError() }
        guard status == 0 else { throw MediaError.toolFailed(tool: tool, status: status, stderr: stderrText()) }
    }

    func stderrText() -> String { stderrTail.text }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// The last few KB a tool wrote to stderr.
private final class StderrTail: @unchecked Sendable {
    private let limit: Int
    private let lock = NSLock()
    private var data = Data()
    private let drained = DispatchSemaphore(value: 0)

    init(limit: Int) { self.limit = limit }

    func append(_ chunk: Data) {
        lock.lock(); defer { lock.unlock() }
        data.append(chunk)
        if data.count > 2 * limit { data = Data(data.suffix(limit)) }
    }

    func markDrained() { drained.signal() }
    func waitDrained() { drained.wait(); drained.signal() }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        var text = String(decoding: data, as: UTF8.self)
        if text.count > limit { text = String(text.suffix(limit)) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
