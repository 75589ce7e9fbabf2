import Foundation

/// Where the API lives and how to authenticate. Secrets are held here and nowhere else;
/// `description` never prints them.
public struct KlingConfiguration: Sendable, CustomStringConvertible {
    public enum Credentials: Sendable {
        case none
        /// `Authorization: Bearer <key>` (a gateway key, or Kling's API key).
        case apiKey(String)
        /// Kling's access key + secret key: a short-lived HS256 JWT per request.
        case accessKey(access: String, secret: String)
    }

    public var baseURL: URL
    /// `/kling/v1` for a gateway, `/v1` for Kling's own host.
    public var pathPrefix: String
    public var credentials: Credentials
    /// The backend is the local emulator, which may read local files (`file://` URLs).
    public var isLocal: Bool
    public var retry: RetryPolicy
    /// Per-request timeout.
    public var requestTimeout: Duration

    public static let gatewayPrefix = "/kling/v1"
    public static let klingPrefix = "/v1"
    public static let klingBaseURL = URL(string: "https://api-singapore.klingai.com")!

    public init(baseURL: URL, pathPrefix: String = KlingConfiguration.gatewayPrefix,
                credentials: Credentials, isLocal: Bool = false,
                retry: RetryPolicy = .default, requestTimeout: Duration = .seconds(120)) {
        self.baseURL = baseURL
        self.pathPrefix = Self.normalize(prefix: pathPrefix)
        self.credentials = credentials
        self.isLocal = isLocal
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    static func normalize(prefix: String) -> String {
        var p = prefix.trimmingCharacters(in: .whitespaces)
        while p.hasSuffix("/") { p.removeLast() }
        if !p.isEmpty && !p.hasPrefix("/") { p = "/" + p }
        return p
    }

    /// The absolute URL of an API path such as `videos/identify-face`.
    func url(_ path: String, query: String? = nil) -> String {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + pathPrefix + "/" + path + (query.map { "?" + $0 } ?? "")
    }

    public var description: String {
        let auth: String = switch credentials {
        case .none: "no credentials"
        case .apiKey: "API key"
        case let .accessKey(access, _): "access key \(access.prefix(4))…"
        }
        return "\(baseURL.absoluteString)\(pathPrefix) (\(auth))"
    }
}
