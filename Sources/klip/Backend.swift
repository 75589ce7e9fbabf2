import Foundation
import KlingAPI
import KlipScript
import KlipCallbacks
import KlipJournal
import KlipServer
import KlipUpload
import Logging

/// The API a command talks to: Kling (or a gateway) when credentials are set, otherwise the
/// emulator started in-process on loopback the first time a client is needed — so a command
/// or script that never calls the API never pays for starting it.
actor Backend {
    enum Target: Sendable {
        case remote(KlingConfiguration)
        case embedded(EmulatorConfiguration)
    }

    /// Where to receive callbacks (`--callback-listen`), and with which secret.
    struct Callbacks: Sendable {
        var host: String
        var port: Int
        var publicURL: String?
        var secret: String?
    }

    nonisolated let target: Target
    nonisolated let callbacks: Callbacks?
    /// Where the journal lives (`journal.sqlite`), whatever the backend.
    nonisolated let stateDirectory: String
    private let logger: Logger
    private var openedJournal: Journal?
    private let client = SingleFlight<KlingClient>()
    private var emulator: RunningEmulator?
    private var receiver: CallbackReceiver?
    /// `--upload` / `KLIP_UPLOAD`: where local media goes when the backend is not embedded.
    private var uploadSettings: S3Settings?
    private var contentUploader: ContentUploader?

    init(target: Target, callbacks: Callbacks? = nil, stateDirectory: String, logger: Logger) {
        self.target = target
        self.stateDirectory = stateDirectory
        self.callbacks = callbacks
        self.logger = logger
    }

    /// The callback_url creates should carry, once a client exists (nil without `--callback-listen`).
    var callbackReceiverURL: String? {
        guard let receiver else { return nil }
        return callbacks?.publicURL ?? receiver.url.absoluteString
    }

    /// `"kling"` or `"local"`, as scripts see it in `kling.backend`.
    nonisolated var name: String {
        switch target {
        case let .remote(config): config.isLocal ? "local" : "kling"
        case .embedded: "local"
        }
    }

    /// Which account's tasks the journal's entries belong to: a task on the emulator is
    /// not a task on Kling. Names the key by a hash, never by its value.
    nonisolated var journalScope: String {
        switch target {
        case let .embedded(config): return "local:" + config.stateDirectory
        case let .remote(config):
            let who: String = switch config.credentials {
            case .none: "anonymous"
            case let .apiKey(key): "key:" + Fingerprint.hex(Data(key.utf8)).prefix(12)
            case let .accessKey(access, _): "ak:" + access
            }
            return config.baseURL.absoluteString + config.pathPrefix + "#" + who
        }
    }

    /// The client, made once: concurrent first calls share one start.
    func makeClient() async throws -> KlingClient {
        try await client.value { try await self.start() }
    }

    private func start() async throws -> KlingClient {
        let made: KlingClient
        switch target {
        case let .remote(config):
            made = KlingClient(configuration: config, logger: logger)
        case var .embedded(config):
            if let callbacks { config.webhookSecret = callbacks.secret }
            let running = try await Emulator.start(config, logger: logger)
            emulator = running
            stderrLine("klip: no Kling credentials set; using the local emulator at \(running.baseURL.absoluteString) (state: \(config.stateDirectory))")
            made = KlingClient(configuration: KlingConfiguration(
                baseURL: running.baseURL, pathPrefix: KlingConfiguration.gatewayPrefix,
                credentials: .none, isLocal: true), logger: logger)
        }
        if let callbacks {
            do {
                let started = try await CallbackReceiver.start(host: callbacks.host, port: callbacks.port, policy: callbackPolicy,
                                                               signals: made.signals, logger: logger)
                receiver = started
                stderrLine("klip: receiving callbacks at \(callbacks.publicURL ?? started.url.absoluteString)\(Self.policyNote(callbackPolicy))")
            } catch {
                throw CLIError(message: "--callback-listen: \(error)")
            }
        }
        return made
    }

    /// Kling's cloud signs no callbacks, so its unsigned deliveries are taken as hints; the
    /// emulator and gateways with a secret must sign every one.
    nonisolated var callbackPolicy: CallbackPolicy {
        let secret = callbacks?.secret
        if case let .remote(config) = target, config.baseURL.host?.hasSuffix("klingai.com") == true {
            return .unsignedAccepted(secret: secret)
        }
        return secret.map { .signed(secret: $0) } ?? .unsignedAccepted(secret: nil)
    }

    static func policyNote(_ policy: CallbackPolicy) -> String {
        switch policy {
        case .signed: ""
        case .unsignedAccepted(secret: nil): " (unsigned deliveries only wake a wait, which confirms with a GET; set KLING_WEBHOOK_SECRET to verify signed ones)"
        case .unsignedAccepted: " (unsigned deliveries only wake a wait, which confirms with a GET; signed ones are verified)"
        }
    }

    func setUploads(_ settings: S3Settings?) { uploadSettings = settings }

    /// The S3 uploader, made once, remembering uploads in this backend's journal.
    func uploader() async throws -> ContentUploader? {
        if let contentUploader { return contentUploader }
        guard let uploadSettings else { return nil }
        let made = ContentUploader(settings: uploadSettings, records: try? openJournal())
        contentUploader = made
        return made
    }

    /// Kling's cloud reads no local files; an emulator on this machine does.
    nonisolated var localVideos: LocalVideoRoute {
        switch target {
        case .embedded: .sendPath
        case let .remote(config): config.isLocal ? .uploadWhenConfigured : .upload
        }
    }

    /// The journal of this backend's account, opened on first use.
    func openJournal() throws -> Journal {
        if let openedJournal { return openedJournal }
        let journal = try Journal(path: stateDirectory + "/journal.sqlite", backend: journalScope)
        openedJournal = journal
        return journal
    }

    func shutdown() async {
        // What creates and waits recorded without waiting for the commit is made durable
        // before the process ends; a failure loses no task (the next run asks the API).
        if let openedJournal {
            do { try await openedJournal.flush() } catch {
                logger.warning("the journal \(openedJournal.path) could not record every task's state (\(error)); the next run asks the API for them")
            }
        }
        await client.reset()
        await receiver?.stop()
        receiver = nil
        await emulator?.stop()
        emulator = nil
    }

    static func resolve(options: BackendOptions, environment env: EnvironmentCredentials) throws -> Backend {
        var logger = Logger(label: "klip")
        logger.logLevel = options.verbose ? .debug : .warning
        let credentials: KlingConfiguration.Credentials
        if let key = env.apiKey {
            credentials = .apiKey(key)
        } else if let access = env.accessKey, let secret = env.secretKey {
            credentials = .accessKey(access: access, secret: secret)
        } else if env.accessKey != nil || env.secretKey != nil {
            throw CLIError.usage("set both KLING_ACCESS_KEY and KLING_SECRET_KEY (or KLING_API_KEY)")
        } else {
            credentials = .none
        }

        let base = options.baseURL ?? env.baseURL
        let callbacks = try callbackSettings(options, env: env, embedded: base == nil && { if case .none = credentials { true } else { false } }())
        if case .none = credentials, base == nil {
            let config = embeddedConfiguration(options)
            return Backend(target: .embedded(config), callbacks: callbacks, stateDirectory: config.stateDirectory, logger: logger)
        }
        let url: URL
        if let base {
            guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw CLIError.usage("--base-url / KLING_BASE_URL must be an http(s) URL; got \(base)")
            }
            url = parsed
        } else {
            url = KlingConfiguration.klingBaseURL
        }
        let host = url.host ?? ""
        let prefix = options.prefix ?? env.prefix
            ?? (host.hasSuffix("klingai.com") ? KlingConfiguration.klingPrefix : KlingConfiguration.gatewayPrefix)
        let isLoopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        return Backend(target: .remote(KlingConfiguration(baseURL: url, pathPrefix: prefix, credentials: credentials,
                                                          isLocal: isLoopback)), callbacks: callbacks,
                       stateDirectory: options.stateDir ?? defaultStateDirectory(), logger: logger)
    }

    static func callbackSettings(_ options: BackendOptions, env: EnvironmentCredentials, embedded: Bool) throws -> Callbacks? {
        guard let address = options.callbackListen else {
            if options.callbackURL != nil { throw CLIError.usage("--callback-url needs --callback-listen") }
            return nil
        }
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
            throw CLIError.usage("--callback-listen: give host:port (port 0 for any free port); got \(address)")
        }
        let host = parts[0].isEmpty ? "127.0.0.1" : String(parts[0])
        // The embedded emulator and its receiver share a fresh secret, so its callbacks are signed.
        let secret = env.webhookSecret ?? (embedded ? "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() : nil)
        return Callbacks(host: host, port: port, publicURL: options.callbackURL, secret: secret)
    }

    static func embeddedConfiguration(_ options: BackendOptions) -> EmulatorConfiguration {
        var config = EmulatorConfiguration(stateDirectory: options.stateDir ?? defaultStateDirectory())
        config.host = "127.0.0.1"
        config.port = 0
        let cwd = FileManager.default.currentDirectoryPath
        // A file the user names on the command line is theirs to use: every file is readable
        // unless --media-root narrows it.
        config.mediaRoots = options.mediaRoot.isEmpty ? ["/"] : options.mediaRoot.map {
            URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: cwd)).standardizedFileURL.path
        }
        return config
    }

    static func defaultStateDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["KLIP_STATE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/klip" }
        // $HOME first, as every shell tool does; the password database only without it.
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/klip").path
    }
}
