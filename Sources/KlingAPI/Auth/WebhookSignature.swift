import Crypto
import Foundation

/// Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")).
public struct WebhookSigner: Sendable {
    public static let tolerance: TimeInterval = 300
    private let key: SymmetricKey

    /// `secret` as Standard Webhooks gives it: `whsec_` + base64 (the prefix is optional).
    public init?(secret: String) {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { return nil }
        key = SymmetricKey(data: bytes)
    }

    public func signature(id: String, timestamp: Int64, body: Data) -> String {
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64EncodedString()
    }

    /// The three headers to send with `body`.
    public func headers(id: String, timestamp: Int64, body: Data) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", signature(id: id, timestamp: timestamp, body: body))]
    }

    public enum VerifyError: Error, Equatable {
        case missingHeaders
        case timestampOutOfTolerance
        case noMatchingSignature
    }

    /// Checks a delivery: any one of the space-separated `v1,` signatures must match,
    /// and the timestamp must be within five minutes of `now`.
    public func verify(id: String?, timestamp: String?, signatures: String?, body: Data,
                       now: Date = Date()) throws(VerifyError) {
        guard let id, let timestamp, let signatures, let ts = Int64(timestamp) else { throw .missingHeaders }
        if abs(now.timeIntervalSince1970 - TimeInterval(ts)) > Self.tolerance { throw .timestampOutOfTolerance }
        let expected = Data(signature(id: id, timestamp: ts, body: body).utf8)
        for candidate in signatures.split(separator: " ") where candidate.hasPrefix("v1,") {
            let given = Data(candidate.utf8)
            // Constant-time comparison of equal-length strings.
            if given.count == expected.count, zip(given, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 {
                return
            }
        }
        throw .noMatchingSignature
    }
}
