import Foundation
import KlipTestSupport
import KlipUpload

/// A real `moto_server` (PyPI moto[server], installed by scripts/setup) on a loopback
/// ephemeral port: the S3 the upload path talks to in tests.
final class MotoServer: Sendable {
    let process: ChildProcess
    let endpoint: URL
    static let credentials = AWSCredentials(accessKeyID: "AKIAKLIPTESTKEY00001", secretAccessKey: "klip-test-secret-do-not-print")

    static func start() async throws -> MotoServer {
        let binary = try locate("moto_server")
        let process = try ChildProcess(executable: binary, arguments: ["-H", "127.0.0.1", "-p", "0"],
                                       environment: ProcessInfo.processInfo.environment)
        guard let line = await process.waitForLine(containing: "Running on http://127.0.0.1:", timeout: .seconds(120)),
              let range = line.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
              let url = URL(string: String(line[range])) else {
            await process.ensureStopped()
            throw ChildProcessError("moto_server did not announce its address:\n\(process.output)")
        }
        return MotoServer(process: process, endpoint: url)
    }

    private init(process: ChildProcess, endpoint: URL) {
        self.process = process
        self.endpoint = endpoint
    }

    func settings(bucket: String, prefix: String = "klip", expires: Int = S3Settings.defaultExpires) -> S3Settings {
        S3Settings(bucket: bucket, prefix: prefix, credentials: Self.credentials, region: "us-east-1",
                   endpoint: endpoint, expires: expires)
    }

    /// Makes a bucket (moto accepts any signature-shaped request; the PUT is signed anyway).
    func createBucket(_ name: String) async throws {
        let status = try await S3TestCalls.send(method: "PUT", url: endpoint.appendingPathComponent(name), credentials: Self.credentials)
        guard status == 200 else { throw ChildProcessError("create bucket \(name): HTTP \(status)") }
    }

    func stop() async {
        // Nothing of moto's state matters after a test, and a test runner may start children
        // with SIGINT ignored (then werkzeug never stops on it).
        await process.ensureStopped()
    }

    static func locate(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/local/bin", "\(NSHomeDirectory())/.local/bin"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ChildProcessError("\(name) is not installed: run scripts/setup")
    }
}

/// Runs `body`, then awaits `cleanup` on every path: a `defer` cannot await, and a `Task`
/// started in one outlives the test (its servers were left running).
func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
