import Foundation
import KlingAPI
import KlipJournal
import KlipServer
import Logging

/// The API a command talks to: Kling (or a gateway) when credentials are set, otherwise the
/// emulator started in-process on loopback the first time a client is needed — so a command
/// or script that never calls the API never pays for starting it.
actor Backend {
    enum Target: Sendable {
        case remote(KlingConfiguration)
        case embedded(EmulatorConfiguration)
    }

    nonisolated let target: Target
    private let logger: Logger
    private var client: KlingClient?
    private var emulator: RunningEmulator?

    init(target: Target, logger: Logger) {
        self.target = target
        self.logger = logger
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

    func makeClient() async throws -> KlingClient {
        if let client { return client }
        let made: KlingClient
        switch target {
        case let .remote(config):
            made = KlingClient(configuration: config, logger: logger)
        case let .embedded(config):
            let running = try await Emulator.start(config, logger: logger)
            emulator = running
            stderrLine("klip: no Kling credentials set; using the local emulator at \(running.baseURL.absoluteString) (state: \(config.stateDirectory))")
            made = KlingClient(configuration: KlingConfiguration(
                baseURL: running.baseURL, pathPrefix: KlingConfiguration.gatewayPrefix,
                credentials: .none, isLocal: true), logger: logger)
        }
        client = made
        return made
    }

    func shutdown() async {
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
        if case .none = credentials, base == nil {
            return Backend(target: .embedded(embeddedConfiguration(options)), logger: logger)
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
                                                          isLocal: isLoopback)), logger: logger)
    }

    static func embeddedConfiguration(_ options: BackendOptions) -> EmulatorConfiguration {
        var config = EmulatorConfiguration(stateDirectory: options.stateDir ?? defaultStateDirectory())
        config.host = "127.0.0.1"
        config.port = 0
        let cwd = FileManager.default.currentDirectoryPath
        config.mediaRoots = options.mediaRoot.isEmpty ? [cwd] : options.mediaRoot.map {
            URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: cwd)).standardizedFileURL.path
        }
        return config
    }

    static func defaultStateDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["KLIP_STATE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/klip" }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/klip").path
    }
}
