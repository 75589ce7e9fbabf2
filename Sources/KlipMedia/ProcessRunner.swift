import Foundation

/// The output of a finished subprocess.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs a tool to completion without blocking the cooperative pool.
/// Both pipes are drained on their own threads so a chatty tool cannot deadlock;
/// Swift task cancellation terminates the process.
public enum ProcessRunner {
    /// Resolves a tool name on PATH (or returns an absolute path unchanged).
    public static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `tool` with `arguments`; `stderrLimit` keeps only the tail of stderr.
    public static func run(_ tool: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil, currentDirectory: String? = nil,
                           stderrLimit: Int = 4000) async throws -> ProcessOutput {
        guard let executable = locate(tool) else { throw MediaError.toolMissing(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input

        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ProcessOutput, any Error>) in
                let group = DispatchGroup()
                let collected = OutputBox()
                process.terminationHandler = { _ in
                    group.notify(queue: .global()) {
                        let (o, e) = collected.values
                        var errText = String(decoding: e, as: UTF8.self)
                        if errText.count > stderrLimit { errText = String(errText.suffix(stderrLimit)) }
                        continuation.resume(returning: ProcessOutput(
                            status: process.terminationStatus, stdout: o,
                            stderr: errText.trimmingCharacters(in: .whitespacesAndNewlines)))
                    }
                }
                group.enter(); group.enter()
                DispatchQueue.global().async {
                    collected.setOut(out.fileHandleForReading.readDataToEndOfFile()); group.leave()
                }
                DispatchQueue.global().async {
                    collected.setErr(err.fileHandleForReading.readDataToEndOfFile()); group.leave()
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    try? out.fileHandleForWriting.close()
                    try? err.fileHandleForWriting.close()
                    continuation.resume(throwing: MediaError.toolFailed(tool: tool, status: -1, stderr: "\(error)"))
                    return
                }
                if let stdin {
                    DispatchQueue.global().async {
                        try? input.fileHandleForWriting.write(contentsOf: stdin)
                        try? input.fileHandleForWriting.close()
                    }
                }
            }
        } onCancel: {
            if process.isRunning { process.terminate() }
        }
    }

    /// Runs a tool and throws `MediaError.toolFailed` on a non-zero exit.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String]) async throws -> ProcessOutput {
        let output = try await run(tool, arguments)
        guard output.status == 0 else {
            throw MediaError.toolFailed(tool: tool, status: output.status, stderr: output.stderr)
        }
        return output
    }
}

private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func setOut(_ d: Data) { lock.lock(); out = d; lock.unlock() }
    func setErr(_ d: Data) { lock.lock(); err = d; lock.unlock() }
    var values: (Data, Data) { lock.lock(); defer { lock.unlock() }; return (out, err) }
}
