import Crypto
import Foundation

/// Kling's access-key/secret-key tokens: HS256, claims exactly `iss`, `exp`, `nbf`.
/// Signing and verification share this type so the client and the emulator agree.
public enum KlingJWT {
    public struct Claims: Codable, Sendable, Equatable {
        public var iss: String
        public var exp: Int64
        public var nbf: Int64
        public init(iss: String, exp: Int64, nbf: Int64) {
            self.iss = iss
            self.exp = exp
            self.nbf = nbf
        }
    }

    public static let lifetime: Int64 = 1800
    public static let notBeforeSkew: Int64 = 5
    /// Clock difference allowed between signer and verifier when capping a token's lifetime.
    public static let clockSkew: Int64 = 60

    /// Claims for a token made at `now`: `exp` = now + 1800 s, `nbf` = now - 5 s.
    public static func claims(accessKey: String, now: Date = Date()) -> Claims {
        let t = Int64(now.timeIntervalSince1970)
        return Claims(iss: accessKey, exp: t + lifetime, nbf: t - notBeforeSkew)
    }

    public static func sign(_ claims: Claims, secretKey: String) -> String {
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = (try? encoder.encode(claims)) ?? Data()
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secretKey.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }

    public enum VerifyError: Error, Equatable {
        case malformed
        case badSignature
        case notYetValid
        case expired
        /// `exp` lies further ahead than a Kling token lives (`lifetime`, plus `clockSkew`):
        /// such a token would stay usable for as long as it claims.
        case lifetimeTooLong
    }

    /// Decodes and checks a token. `secretFor` maps an `iss` to its secret (nil: unknown key).
    public static func verify(_ token: String, now: Date = Date(), secretFor: (String) -> String?) throws(VerifyError) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = base64URLDecode(String(parts[0])),
              let header = try? JSONDecoder().decode([String: String].self, from: headerData),
              header["alg"] == "HS256",
              let payload = base64URLDecode(String(parts[1])),
              let claims = try? JSONDecoder().decode(Claims.self, from: payload),
              let signature = base64URLDecode(String(parts[2]))
        else { throw .malformed }
        guard let secret = secretFor(claims.iss) else { throw .badSignature }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput,
                                                     using: SymmetricKey(data: Data(secret.utf8)))
        else { throw .badSignature }
        let t = Int64(now.timeIntervalSince1970)
        if t < claims.nbf { throw .notYetValid }
        if t >= claims.exp { throw .expired }
        if claims.exp - t > lifetime + clockSkew { throw .lifetimeTooLong }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
