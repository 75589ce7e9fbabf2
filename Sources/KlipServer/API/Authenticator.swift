import Crypto
import Foundation
import KlingAPI

/// Checks `Authorization: Bearer <static key | JWT>`. Never logs or echoes the credential.
struct Authenticator: Sendable {
    let apiKeys: [String]
    let accessKeys: [String: String]

    var enabled: Bool { !apiKeys.isEmpty || !accessKeys.isEmpty }

    func check(_ header: String?, now: Date = Date()) throws(APIFailure) {
        guard enabled else { return }
        let value = header?.trimmingCharacters(in: .whitespaces) ?? ""
        if value.isEmpty { throw .missingAuthorization() }
        guard value.count > 7, value.prefix(7).lowercased() == "bearer " else {
            throw .invalidAuthorization("expected the Bearer scheme")
        }
        let token = value.dropFirst(7).trimmingCharacters(in: .whitespaces)
        if token.isEmpty { throw .missingAuthorization() }
        if apiKeys.contains(where: { Self.constantTimeEqual($0, token) }) { return }

        guard token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw .invalidAuthorization("unknown API key")
        }
        do {
            _ = try KlingJWT.verify(token, now: now) { accessKeys[$0] }
        } catch {
            switch error {
            case .malformed: throw .invalidAuthorization("the token is not a well-formed HS256 JWT")
            case .badSignature: throw .invalidAuthorization("unknown access key or bad token signature")
            case .notYetValid: throw .tokenNotYetValid()
            case .expired: throw .tokenExpired()
            case .lifetimeTooLong:
                throw .invalidAuthorization("the token's exp is more than \(KlingJWT.lifetime) s ahead; Kling's tokens live 30 minutes")
            }
        }
    }

    /// Compares digests so the time taken says nothing about how much of a key matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let da = SHA256.hash(data: Data(a.utf8)), db = SHA256.hash(data: Data(b.utf8))
        return zip(da, db).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
