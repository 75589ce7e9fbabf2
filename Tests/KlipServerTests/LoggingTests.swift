import Foundation
import KlingAPI
@testable import KlipServer
import Logging
import Synchronization
import Testing

/// Collects every log line (message and metadata) at trace level.
final class LogSink: Sendable {
    let lines = Mutex<[String]>([])

    func handler(_ label: String) -> some LogHandler { Handler(sink: self) }

    struct Handler: LogHandler {
        let sink: LogSink
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
            let level = event.level, message = event.message
            sink.lines.withLock { $0.append("\(level) \(message) \(all)") }
        }
    }
}

@Suite("Logging")
struct LoggingTests {
    @Test func credentialsNeverReachTheLog() async throws {
        let sink = LogSink()
        let key = "static-key-do-not-log-\(UUID().uuidString)"
        let secret = "secret-key-do-not-log-\(UUID().uuidString)"
        var config = EmulatorConfiguration(stateDirectory: try temporaryDirectory().path, maxParallel: 1)
        config.apiKeys = [key]
        config.accessKeys = ["ak-log": secret]
        config.webhookSecret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="
        var logger = Logger(label: "klip.log.test") { sink.handler($0) }
        logger.logLevel = .trace
        let running = try await Emulator.start(config, logger: logger)
        let base = running.baseURL.absoluteString
        let jwt = KlingJWT.sign(KlingJWT.claims(accessKey: "ak-log"), secretKey: secret)
        for header in ["Bearer \(key)", "Bearer \(key)x", "Bearer \(jwt)", "Bearer \(jwt)x"] {
            _ = try await call(.GET, base + "/v1/videos/advanced-lip-sync/1", headers: [("Authorization", header)])
            _ = try await call(.POST, base + "/v1/videos/identify-face", json: ["video_url": "/etc/passwd"],
                               headers: [("Authorization", header)])
        }
        await running.stop()
        let lines = sink.lines.withLock { $0 }
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(!line.contains(key) && !line.contains(secret) && !line.contains(jwt) && !line.contains("dGVzdHNlY3JldH"), "\(line)")
        }
    }
}
