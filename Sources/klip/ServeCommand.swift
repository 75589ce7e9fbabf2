import ArgumentParser
import Foundation
import KlipEngine
import KlipServer
import Logging

extension RenderMode: ExpressibleByArgument {}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the local emulator of Kling's advanced lip-sync API.",
        discussion: "Routes answer under both /kling/v1 and /v1. Without keys, auth is off, which is allowed only on a loopback address.")

    @Option(name: .long, help: "Address to bind.") var host = "127.0.0.1"
    @Option(name: .long, help: "Port (0: any free port).") var port = 8080
    @Option(name: .long, help: "A static Bearer key clients may use (repeatable).") var apiKey: [String] = []
    @Option(name: .long, help: "Access key for JWT auth (with --secret-key).") var accessKey: String?
    @Option(name: .long, help: "Secret key for JWT auth (with --access-key).") var secretKey: String?
    @Option(name: .long, help: "A directory local video_url/sound_file paths may come from (repeatable; none by default).") var mediaRoot: [String] = []
    @Option(name: .long, help: "Where the database and files live.") var stateDir: String?
    @Option(name: .long, help: "Tasks rendered at once; more answer 1303.") var maxParallel: Int?
    @Option(name: .long, help: "Sign callbacks per Standard Webhooks with this whsec_ secret.") var webhookSecret: String?
    @Option(name: .long, help: "How long a session stays valid, seconds.") var sessionLifetime: Int = 86400
    @Option(name: .long, help: "full: render; none: tasks succeed with the input video (for load tests).") var render: RenderMode = .full
    @Flag(name: .long, help: "Log every request.") var verbose = false

    func validate() throws {
        if (accessKey == nil) != (secretKey == nil) { throw ValidationError("--access-key and --secret-key go together") }
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        if sessionLifetime < 1 { throw ValidationError("--session-lifetime must be at least 1 second") }
    }

    func run() async throws {
        var config = EmulatorConfiguration(stateDirectory: stateDir ?? Backend.defaultStateDirectory())
        config.host = host
        config.port = port
        config.apiKeys = apiKey
        if let accessKey, let secretKey { config.accessKeys = [accessKey: secretKey] }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        config.mediaRoots = mediaRoot.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL.path }
        if let maxParallel { config.maxParallel = maxParallel }
        config.sessionLifetime = .seconds(sessionLifetime)
        config.webhookSecret = webhookSecret
        config.renderMode = render
        var logger = Logger(label: "klip.serve")
        logger.logLevel = verbose ? .debug : .info
        let running = try await Emulator.start(config, logger: logger)
        let auth = config.apiKeys.isEmpty && config.accessKeys.isEmpty ? "auth off (loopback)" : "auth on"
        stderrLine("klip serve: listening on \(running.baseURL.absoluteString) (/kling/v1 and /v1; \(auth); state \(config.stateDirectory); max parallel \(config.maxParallel); render \(render.rawValue))")
        try await running.waitUntilStopped()
    }
}
