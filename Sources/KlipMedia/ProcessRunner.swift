import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The output of a finished subprocess.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs a tool to completion on `swift-subprocess`: its pipes are read through epoll and its
/// exit is seen by one monitor thread, so no thread of the cooperative pool or of GCD is
/// parked waiting, and every pipe is closed when the call returns (the old Foundation
/// `Process` path leaked two fds per call). Media tools (`ffmpeg`, `ffprobe`) queue on
/// `ConcurrencyLimiter.mediaTools`. Swift task cancellation ends the process (SIGKILL).
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

    /// The tools that count against `ConcurrencyLimiter.mediaTools`; anything else (the klip binary run by
    /// tests) may be long-lived and must not hold a media slot.
    static func isMediaTool(_ tool: String) -> Bool {
        ["ffmpeg", "ffprobe"].contains((tool as NSString).lastPathComponent)
    }

    /// Runs `tool` with `arguments`; `stderrLimit` keeps only the tail of stderr.
    public static func run(_ tool: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil, currentDirectory: String? = nil,
                           stderrLimit: Int = 4000) async throws -> ProcessOutput {
        guard let executable = locate(tool) else { throw MediaError.toolMissing(tool) }
        var env = Environment.inherit
        if let environment {
            env = .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
        }
        let configuration = Configuration(executable: .path(FilePath(executable)), arguments: Arguments(arguments), environment: env,
                                          workingDirectory: currentDirectory.map { FilePath($0) })
        let body: @Sendable () async throws -> ProcessOutput = {
            do {
                if let stdin { return try await collect(configuration, feeding: stdin, stderrLimit: stderrLimit) }
                return try await collect(configuration, stderrLimit: stderrLimit)
            } catch let error as SubprocessError {
                throw MediaError.toolFailed(tool: tool, status: -1, stderr: "\(error)")
            }
        }
        return isMediaTool(tool) ? try await ConcurrencyLimiter.mediaTools.run(body) : try await body()
    }

    private static func collect(_ configuration: Configuration, stderrLimit: Int) async throws -> ProcessOutput {
        let result = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) { execution in
            try await drain(execution.standardOutput, execution.standardError, stderrLimit: stderrLimit)
        }
        let (stdout, stderr) = result.closureResult
        return ProcessOutput(status: result.terminationStatus.code, stdout: stdout, stderr: stderr)
    }

    /// Writes `stdin` through our own writer: swift-subprocess 1.0.2's `.data` input leaves
    /// its writer open when the write fails or is cancelled (a tool that exits without
    /// reading its input, under load), and an open writer is a fatal error at its deinit.
    private static func collect(_ configuration: Configuration, feeding stdin: Data,
                                stderrLimit: Int) async throws -> ProcessOutput {
        let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
            let writer = execution.standardInputWriter
            async let written: Void = {
                _ = try? await writer.write(Array(stdin)) // a tool may exit without reading it
                try? await writer.finish()
            }()
            let output = try await drain(execution.standardOutput, execution.standardError, stderrLimit: stderrLimit)
            await written
            return output
        }
        let (stdout, stderr) = result.closureResult
        return ProcessOutput(status: result.terminationStatus.code, stdout: stdout, stderr: stderr)
    }

    private static func drain(_ standardOutput: SubprocessOutputSequence, _ standardError: SubprocessOutputSequence,
                              stderrLimit: Int) async throws -> (Data, String) {
        async let err = StreamTail.read(standardError, keep: stderrLimit)
        var out = Data()
        for try await chunk in standardOutput {
            chunk.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return (out, try await err)
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

extension TerminationStatus {
    /// The exit status, or 128 + the signal for a killed tool (as a shell reports it).
    var code: Int32 {
        switch self {
        case let .exited(code): code
        case let .signaled(signal): 128 + signal
        }
    }
}

/// The last bytes of a stream, as text: a chatty tool's stderr costs bounded memory.
enum StreamTail {
    static func read(_ stream: SubprocessOutputSequence, keep limit: Int) async throws -> String {
        var data = Data()
        for try await chunk in stream {
            chunk.withUnsafeBytes { data.append(contentsOf: $0) }
            if data.count > 2 * limit { data = Data(data.suffix(limit)) }
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.count > limit { text = String(text.suffix(limit)) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
