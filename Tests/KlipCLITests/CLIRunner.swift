import Foundation
import KlipMedia

/// Runs the built `klip` binary as a user would, from the repository root (so `media/` is
/// inside the embedded emulator's default media root), with a private state directory.
struct CLIRunner {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String {
        for config in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(config)/klip").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/klip").path
    }

    let stateDir: String
    var environment: [String: String]
    /// Where the command runs (the repository root unless a test plays a user elsewhere).
    var directory: String = CLIRunner.root.path

    init() throws {
        stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        for name in ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_BASE_URL", "KLING_PREFIX"] {
            env[name] = nil
        }
        env["KLIP_STATE_DIR"] = stateDir
        environment = env
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func callAsFunction(_ arguments: String..., env extra: [String: String] = [:]) async throws -> Result {
        try await run(arguments, env: extra)
    }

    func run(_ arguments: [String], env extra: [String: String] = [:], stdin: Data? = nil) async throws -> Result {
        let output = try await ProcessRunner.run(Self.binary, arguments, stdin: stdin,
                                                 environment: environment.merging(extra) { $1 },
                                                 currentDirectory: directory, stderrLimit: 100_000)
        return Result(status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self), stderr: output.stderr)
    }

    static func media(_ name: String) -> String { "media/\(name)" }
    /// A sample clip by absolute path, for commands run outside the repository.
    static func absoluteMedia(_ name: String) -> String { root.appendingPathComponent("media/\(name)").path }
}
