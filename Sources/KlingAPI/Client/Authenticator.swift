import Foundation

/// Produces the `Authorization` header. JWTs are cached and re-signed a few minutes before
/// they expire, and on demand after a 1003/1004 answer.
actor Authenticator {
    private let credentials: KlingConfiguration.Credentials
    private var cached: (token: String, expires: Int64)?
    /// Re-sign when fewer than this many seconds are left.
    private let refreshMargin: Int64 = 300
    private let clock: @Sendable () -> Date

    init(credentials: KlingConfiguration.Credentials, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.credentials = credentials
        self.clock = clock
    }

    func header() -> String? {
        switch credentials {
        case .none: return nil
        case let .apiKey(key): return "Bearer \(key)"
        case let .accessKey(access, secret):
            let now = clock()
            if let cached, cached.expires - Int64(now.timeIntervalSince1970) > refreshMargin {
                return "Bearer \(cached.token)"
            }
            let claims = KlingJWT.claims(accessKey: access, now: now)
            let token = KlingJWT.sign(claims, secretKey: secret)
            cached = (token, claims.exp)
            return "Bearer \(token)"
        }
    }

    /// Drops the cached token; true if there is a token to re-sign (JWT credentials).
    func invalidate() -> Bool {
        cached = nil
        if case .accessKey = credentials { return true }
        return false
    }
}
