import KlingAPI
import KlipJournal
import KlipUpload

/// Where `identify`, `lipsync` and `wait` go. Taken lazily: a script that never calls a
/// binding that needs the API never starts it (an empty script starts in milliseconds).
public protocol ScriptBackend: Sendable {
    /// "local" (the embedded emulator) or "kling", as `kling.backend` shows it.
    var name: String { get }
    /// The client, made (and the emulator started) on first use; later calls return the same.
    func client() async throws -> KlingClient
    /// The journal of what runs paid for (nil: none, every create is new).
    func journal() async throws -> Journal?
    /// A callback_url for creates that name none (a `--callback-listen` receiver).
    func callbackURL() async -> String?
    /// The built-in S3 uploader (`KLIP_UPLOAD` / `--upload`), nil when none is configured.
    func uploader() async throws -> ContentUploader?
    /// Whether local videos must be uploaded before `identify` (any backend but the embedded emulator).
    var uploadsLocalMedia: Bool { get }
}

extension ScriptBackend {
    public func journal() async throws -> Journal? { nil }
    public func callbackURL() async -> String? { nil }
    public func uploader() async throws -> ContentUploader? { nil }
    public var uploadsLocalMedia: Bool { false }
}
