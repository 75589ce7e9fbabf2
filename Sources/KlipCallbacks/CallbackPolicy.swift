import Foundation
import KlingAPI

/// Which deliveries the receiver takes. Every accepted delivery is only a hint: it wakes
/// the waits on its task, which then confirm with a GET before returning, so a forged,
/// duplicated or out-of-order delivery can make a wait poll early and nothing else.
public enum CallbackPolicy: Sendable, Equatable {
    /// Every delivery must carry a valid Standard Webhooks signature (the emulator's, or a
    /// gateway's that signs with `KLING_WEBHOOK_SECRET`).
    case signed(secret: String)
    /// Kling's cloud signs nothing: unsigned deliveries are accepted as hints. A delivery
    /// that does carry a signature is verified when a secret is known, and rejected if bad.
    case unsignedAccepted(secret: String?)

    var secret: String? {
        switch self {
        case let .signed(secret): secret
        case let .unsignedAccepted(secret): secret
        }
    }

    /// The decision for one delivery, given its webhook headers.
    enum Verdict: Equatable { case accept, reject(String) }

    func judge(signer: WebhookSigner?, id: String?, timestamp: String?, signatures: String?, body: Data) -> Verdict {
        let signed = signatures != nil || id != nil || timestamp != nil
        switch (self, signed, signer) {
        case (.unsignedAccepted, false, _):
            return .accept
        case (.unsignedAccepted(secret: nil), true, _):
            // Nothing to verify with; as a hint it can do no harm.
            return .accept
        case (_, _, let signer?):
            do {
                try signer.verify(id: id, timestamp: timestamp, signatures: signatures, body: body)
                return .accept
            } catch {
                return .reject("\(error)")
            }
        case (.signed, _, nil):
            return .reject("no verifier for the configured secret")
        case (.unsignedAccepted(secret: _?), true, nil):
            return .reject("no verifier for the configured secret")
        }
    }
}
