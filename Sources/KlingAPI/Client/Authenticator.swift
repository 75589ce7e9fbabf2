import Foundation
import Synchronization

/// Produces the `Authorization` header. JWTs are cached and re-signed a few minutes before
/// they expire, and on demand after a 1003/1004 answer. A lock, not an actor: every request
/// asks, and the answer is ready at once (signing is microseconds), so no executor hop.
final class Authenticator: Sendable {
    private let credentials: KlingConfiguration.Credentials
    private let cached = Mutex<(token: String, expires: Int64)?>(nil)
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
            return cached.withLock { cached in
                if let cached, cached.expires - Int64(now.timeIntervalSince1970) > refreshMargin {
                    return "Bearer \(cached.token)"
                }
                let claims = KlingJWT.claims(accessKey: access, now: now)
                let token = KlingJWT.sign(claims, secretKey: secret)
                cached = (token, claims.exp)
                return "Bearer \(token)"
            }
        }
    }

    /// Drops the cached token; true if there is a token to re-sign (JWT credentials).
    func invalidate() -> Bool {
        cached.withLock { $0 = nil }
        if case .accessKey = credentials { return true }
        return false
    }
}
