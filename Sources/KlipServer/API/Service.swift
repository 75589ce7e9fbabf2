import Foundation
import Hummingbird
import KlingAPI
import KlipEngine
import Logging
import Synchronization

/// What the handlers share. Plain `let`s of Sendable parts: the mutable state lives in
/// SQLite (`Store`) and in the actors (`TaskRunner`, `CallbackSender`, `FaceIdentifierPool`, `SharedCache`).
struct Service: Sendable {
    let config: EmulatorConfiguration
    let layout: StateLayout
    let store: Store
    let media: MediaInput
    let faces: FaceTracks
    let runner: TaskRunner
    let callbacks: CallbackSender
    let auth: Authenticator
    let logger: Logger
    /// `http://127.0.0.1:PORT` once bound: the base URL when a request has no usable Host.
    let boundBase: BoundBase

    /// Absolute URLs are built from the request's Host (ports are ephemeral, and a client may
    /// reach us by another name); a Host that is not a plain host[:port] is ignored.
    func base(for request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty, authority.count < 256,
           authority.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]_".contains($0)) }) {
            return "http://\(authority)"
        }
        return boundBase.value
    }
}

/// The bound address, known only after the listener is up.
final class BoundBase: Sendable {
    private let storage: Mutex<String>
    init(_ value: String) { storage = Mutex(value) }
    var value: String {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
