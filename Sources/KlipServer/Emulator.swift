import AsyncHTTPClient
import Foundation
import Hummingbird
import KlingAPI
import Logging
// Hummingbird's own lifecycle library (a dependency of Hummingbird): graceful shutdown.
import ServiceLifecycle
import Synchronization

/// The local Kling: `Emulator.start(config, logger:)` binds, re-queues the tasks a previous
/// run left unfinished, and returns once the server is accepting connections.
public enum Emulator {
    public static func start(_ config: EmulatorConfiguration, logger: Logger) async throws -> RunningEmulator {
        try validate(config)
        let signer: WebhookSigner?
        if let secret = config.webhookSecret {
            guard let s = WebhookSigner(secret: secret) else {
                throw EmulatorStartError("webhookSecret is not a Standard Webhooks secret (whsec_ followed by base64)")
            }
            signer = s
        } else {
            signer = nil
        }

        let layout = StateLayout(root: URL(fileURLWithPath: config.stateDirectory, isDirectory: true))
        do { try layout.create() } catch {
            throw EmulatorStartError("cannot create the state directory \(config.stateDirectory): \(error)")
        }
        let lock = try StateLock(directory: layout.root)
        do {
            return try await start(config, logger: logger, layout: layout, signer: signer, lock: lock)
        } catch {
            lock.unlock()
            throw error
        }
    }

    private static func start(_ config: EmulatorConfiguration, logger: Logger, layout: StateLayout,
                              signer: WebhookSigner?, lock: StateLock) async throws -> RunningEmulator {
        try? FileManager.default.removeItem(at: layout.temporary)
        try? FileManager.default.createDirectory(at: layout.temporary, withIntermediateDirectories: true)
        let store: Store
        do { store = try Store(path: layout.database) } catch {
            throw EmulatorStartError("cannot open \(layout.database): \(error)")
        }

        let http = HTTPClient.shared
        let callbacks = CallbackSender(http: http, signer: signer, retryDelays: config.callbackRetryDelays,
                                        timeout: config.callbackTimeout, logger: logger)
        let runner = TaskRunner(store: store, layout: layout, callbacks: callbacks, renderMode: config.renderMode,
                                limit: config.maxParallel, renderTimeout: config.renderTimeout,
                                minimumDuration: config.minimumTaskDuration,
                                beforeRender: config.beforeRender, logger: logger)
        let service = try makeService(config, logger: logger, layout: layout, store: store, runner: runner, callbacks: callbacks)

        let bound = BindSignal()
        let app = Application(
            router: EmulatorRoutes.router(service: service, faults: config.faults.isEmpty
                ? nil : FaultInjector(spec: config.faults, seed: config.faultSeed)),
            configuration: ApplicationConfiguration(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { channel in await bound.bound(channel.localAddress?.port) },
            logger: logger)
        // The group owns the signals (registered before any service starts, so before we
        // listen) and bounds the stop: past `shutdownTimeout` the graceful stop escalates to
        // cancellation, which closes open connections. Reverse order on the way down: the
        // listener drains first, then the work stops.
        var groupConfig = ServiceGroupConfiguration(
            services: [.init(service: WorkService(runner: runner, callbacks: callbacks)), .init(service: app)],
            gracefulShutdownSignals: config.handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = config.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfig)
        let server = Task {
            do {
                try await group.run()
                await bound.failed(EmulatorStartError("the server stopped before it was listening"))
            } catch {
                await bound.failed(error)
                throw error
            }
        }
        let port: Int
        do { port = try await bound.port() } catch {
            server.cancel()
            _ = await server.result
            throw EmulatorStartError("cannot listen on \(config.host):\(config.port): \(error)")
        }
        let base = reachableBase(host: config.host, port: port)
        guard let baseURL = URL(string: base) else {
            await stopServer(server, group: group, timeout: config.shutdownTimeout)
            throw EmulatorStartError("\(config.host) is not a usable host name")
        }
        service.boundBase.value = base

        await freeExpiredSessions(store: store, layout: layout)

        // Whatever a previous run left submitted or processing runs again, oldest first.
        let unfinished: [TaskRecord]
        do { unfinished = try await store.unfinished() } catch {
            await stopServer(server, group: group, timeout: config.shutdownTimeout)
            throw EmulatorStartError("cannot read the unfinished tasks from \(layout.database): \(error)")
        }
        for task in unfinished { await runner.enqueue(task.id) }
        logger.info("emulator listening", metadata: [
            "url": "\(base)", "auth": "\(config.authEnabled ? "on" : "off")",
            "max_parallel": "\(config.maxParallel)", "requeued": "\(unfinished.count)",
            "faults": "\(config.faults)", "fault_seed": "\(config.faultSeed)",
        ])
        return RunningEmulator(baseURL: baseURL, state: .init(server: server, group: group, callbacks: callbacks,
                                                               lock: lock, timeout: config.shutdownTimeout))
    }

    /// The API's state: media input, the face tracks, the runner, auth, the bound address.
    private static func makeService(_ config: EmulatorConfiguration, logger: Logger, layout: StateLayout, store: Store,
                                    runner: TaskRunner, callbacks: CallbackSender) throws -> Service {
        return Service(
            config: config, layout: layout, store: store,
            media: MediaInput(roots: try MediaRoots(config.mediaRoots), http: config.outboundLoopbackOnly ? MediaInput.loopbackHTTPClient : MediaInput.httpClient, logger: logger,
                              loopbackOnly: config.outboundLoopbackOnly, remoteOnly: config.remoteOnly),
            // Detection is CPU-bound and each detector holds ~100 MB: no more than the cores.
            faces: FaceTracks(pool: FaceIdentifierPool(size: min(config.maxParallel, ProcessInfo.processInfo.activeProcessorCount)),
                              layout: layout),
            runner: runner, callbacks: callbacks,
            auth: Authenticator(apiKeys: config.apiKeys, accessKeys: config.accessKeys), logger: logger,
            boundBase: BoundBase("http://\(config.host):\(config.port)"))
    }

    /// The address this machine reaches a bound listener at: a wildcard bind on loopback.
    private static func reachableBase(host bound: String, port: Int) -> String {
        let host = bound == "0.0.0.0" ? "127.0.0.1" : bound == "::" ? "::1" : bound
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "http://\(hostPart):\(port)"
    }

    /// An expired session's video and crops are no use to anyone: free the disk. The row
    /// stays, so a late create still hears "expired" rather than "not found".
    private static func freeExpiredSessions(store: Store, layout: StateLayout) async {
        for session in (try? await store.expiredSessions(now: IDs.nowMs())) ?? [] {
            try? FileManager.default.removeItem(at: layout.sessionPrivate(session.id))
            try? FileManager.default.removeItem(at: layout.sessionFiles(session.id))
        }
    }

    /// The group's graceful stop: the listener stops accepting and lets open requests
    /// finish, then `WorkService` stops renders (their tasks stay `processing` for the next
    /// start) and callbacks. The group escalates to cancellation after `timeout`; the
    /// backstop here only matters if a service ignored that too.
    static func stopServer(_ server: Task<Void, any Error>, group: ServiceGroup, timeout: Duration) async {
        await group.triggerGracefulShutdown()
        let backstop = Task {
            try await Task.sleep(for: timeout + .seconds(5))
            server.cancel()
        }
        _ = await server.result
        backstop.cancel()
    }

    static func validate(_ config: EmulatorConfiguration) throws {
        if !config.authEnabled && !config.isLoopback {
            throw EmulatorStartError("refusing to listen on \(config.host) without authentication: configure an API key or an access key, or bind to a loopback address such as 127.0.0.1")
        }
        guard (0...65535).contains(config.port) else { throw EmulatorStartError("port \(config.port) is not 0...65535") }
        guard config.maxParallel >= 1 else { throw EmulatorStartError("maxParallel must be at least 1; got \(config.maxParallel)") }
        guard config.maxBodyBytes > 0, config.maxDownloadBytes > 0 else {
            throw EmulatorStartError("maxBodyBytes and maxDownloadBytes must be positive")
        }
        guard config.sessionLifetime > .zero else { throw EmulatorStartError("sessionLifetime must be positive") }
        guard !config.stateDirectory.isEmpty else { throw EmulatorStartError("stateDirectory is required") }
        if config.apiKeys.contains(where: \.isEmpty) || config.accessKeys.contains(where: { $0.key.isEmpty || $0.value.isEmpty }) {
            throw EmulatorStartError("API keys, access keys and secret keys must not be empty")
        }
    }
}

/// A started emulator. `stop()` cancels renders (their tasks stay `processing` and run again
/// on the next start with the same state directory) and closes the listener.
public struct RunningEmulator: Sendable {
    public let baseURL: URL
    let state: State

    final class State: Sendable {
        let server: Task<Void, any Error>
        let group: ServiceGroup
        let callbacks: CallbackSender
        let lock: StateLock
        let timeout: Duration
        let stopped = Mutex(false)
        init(server: Task<Void, any Error>, group: ServiceGroup, callbacks: CallbackSender, lock: StateLock, timeout: Duration) {
            self.timeout = timeout
            self.server = server
            self.group = group
            self.lock = lock
            self.callbacks = callbacks
        }
    }

    public func stop() async {
        let first = state.stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        await Emulator.stopServer(state.server, group: state.group, timeout: state.timeout)
        if first { state.lock.unlock() }
    }

    /// Returns when the server stops (after `stop()`), throwing if it failed.
    public func waitUntilStopped() async throws {
        do { try await state.server.value } catch is CancellationError {}
    }

    /// Waits for pending callback deliveries (tests).
    func drainCallbacks() async { await state.callbacks.drain() }
}

/// Hands the bound port (or the failure to bind) from the server task to `start`.
private actor BindSignal {
    private var result: Result<Int, any Error>?
    private var waiters: [CheckedContinuation<Int, any Error>] = []

    func bound(_ port: Int?) {
        resolve(port.map { .success($0) } ?? .failure(EmulatorStartError("the listener has no port")))
    }

    func failed(_ error: any Error) { resolve(.failure(error)) }

    func port() async throws -> Int {
        if let result { return try result.get() }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func resolve(_ value: Result<Int, any Error>) {
        guard result == nil else { return }
        result = value
        waiters.forEach { $0.resume(with: value) }
        waiters.removeAll()
    }
}
