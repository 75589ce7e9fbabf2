import Hummingbird

/// Hummingbird's basic context plus a way to close the connection, for injected faults.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Closes this request's connection (and waits until it is closed).
    let closeConnection: @Sendable () async -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        closeConnection = { try? await channel.close().get() }
    }
}
