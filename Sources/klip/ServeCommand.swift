import ArgumentParser
import Foundation
import KlipEngine
import KlipServer
import Logging
import Synchronization
import UnixSignals

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
    @Option(name: .long, help: "Each task stays processing at least this many seconds, as Kling's take minutes (with --render none: waits and back-off at that timing, without rendering).") var taskSeconds: Double = 0
    @Option(name: .long, help: ArgumentHelp("Inject failures into API answers, e.g. 5000=0.05,1302=0.03,drop-before=0.02,drop-after=0.02,slow=0.05:2s,truncate=0.02 or all=0.2.",
                                            discussion: "Kinds: 5000 5001 5002 1302 1303 (that error, nothing done), drop-before (connection closed, nothing done), drop-after (done, then closed unanswered), slow=RATE:DELAY (done, answered late), truncate (done, body cut halfway); all=RATE spreads RATE over every kind.",
                                            valueName: "spec")) var faults: String?
    @Option(name: .long, help: "Seed for --faults: the same seed and request order give the same faults.") var faultsSeed: UInt64 = 0
    @Option(name: .long, help: "On SIGTERM/SIGINT, seconds to let requests in flight finish before cutting them off.") var shutdownTimeout: Int = 10
    @Flag(name: .long, help: "Fetch media and deliver callbacks only to loopback hosts (for fuzzing and tests that must not reach the network).") var loopbackOnly = false
    @Flag(name: .long, help: "Refuse local paths and file:// URLs for video_url and sound_file (1201), as Kling's cloud does.") var remoteOnly = false
    @Flag(name: .long, help: "Log every request.") var verbose = false

    func validate() throws {
        if (accessKey == nil) != (secretKey == nil) { throw ValidationError("--access-key and --secret-key go together") }
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        if sessionLifetime < 1 { throw ValidationError("--session-lifetime must be at least 1 second") }
        if shutdownTimeout < 0 { throw ValidationError("--shutdown-timeout must be at least 0 seconds") }
        if !(0...86400).contains(taskSeconds) { throw ValidationError("--task-seconds must be 0 to 86400; got \(taskSeconds)") }
        if let faults { do { _ = try FaultSpec(parsing: faults) } catch { throw ValidationError(error.description) } }
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
        config.minimumTaskDuration = .milliseconds(Int64(taskSeconds * 1000))
        if let faults { config.faults = try FaultSpec(parsing: faults) }
        config.faultSeed = faultsSeed
        config.outboundLoopbackOnly = loopbackOnly
        config.shutdownTimeout = .seconds(shutdownTimeout)
        config.handlesSignals = true
        config.remoteOnly = remoteOnly
        var logger = Logger(label: "klip.serve")
        logger.logLevel = verbose ? .debug : .info
        // Trapped before the server starts, so no signal falls between the two.
        let watcher = StopSignalWatcher(signals: await UnixSignalsSequence(trapping: .sigterm, .sigint),
                                        timeout: shutdownTimeout)
        let running = try await Emulator.start(config, logger: logger)
        let auth = config.apiKeys.isEmpty && config.accessKeys.isEmpty ? "auth off (loopback)" : "auth on"
        let faultText = config.faults.isEmpty ? "" : "; faults \(config.faults) seed \(faultsSeed)"
        stderrLine("klip serve: listening on \(running.baseURL.absoluteString) (/kling/v1 and /v1; \(auth); state \(config.stateDirectory); max parallel \(config.maxParallel); render \(render.rawValue)\(faultText))")
        var failure: (any Error)?
        do { try await running.waitUntilStopped() } catch { failure = error }
        await running.stop()
        // A signal's stop may cut off a request that hangs past the timeout: still a clean exit.
        if let name = watcher.finish() {
            stderrLine("klip serve: stopped on \(name); unfinished tasks run again at the next start with this state directory")
            return
        }
        if let failure { throw failure }
    }
}

/// The server's `ServiceGroup` turns the first SIGTERM or SIGINT into its bounded graceful
/// stop; this watcher only says so, and makes a second signal of either kind exit at once
/// (status 1), for a user who will not wait.
final class StopSignalWatcher: Sendable {
    private final class First: Sendable { let name = Mutex<String?>(nil) }
    private let first = First()
    private let task: Task<Void, Never>

    init(signals: UnixSignalsSequence, timeout: Int) {
        let first = self.first
        task = Task {
            for await signal in signals {
                let name = signal == .sigint ? "SIGINT" : "SIGTERM"
                let already = first.name.withLock { seen -> Bool in
                    defer { if seen == nil { seen = name } }
                    return seen != nil
                }
                if already {
                    stderrLine("klip serve: second signal (\(name)): exiting now")
                    exit(1)
                }
                stderrLine("klip serve: \(name): no new connections; letting requests in flight finish (up to \(timeout) s; a second signal exits at once)")
            }
        }
    }

    /// Stops watching; the first signal's name, if one came.
    func finish() -> String? {
        task.cancel()
        return first.name.withLock { $0 }
    }
}
