import AsyncHTTPClient
import NIOCore

public enum KlingHTTP {
    /// Connections kept per host; a client sends at most this many requests at once.
    static let connectionsPerHost = 32

    /// The HTTP client klip shares. Unlike `HTTPClient.shared` it fails a refused connection
    /// at once (the retry policy decides what happens next) instead of retrying it inside the
    /// pool until the request's deadline, and it keeps enough connections per host for many
    /// tasks in flight.
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
