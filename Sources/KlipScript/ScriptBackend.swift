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
    /// How a local video given to `identify` reaches the API.
    var localVideos: LocalVideoRoute { get }
}

/// How a local video given to `identify` reaches the API.
public enum LocalVideoRoute: String, Sendable {
    /// The API reads the file itself: the embedded emulator.
    case sendPath
    /// A `klip serve` on this machine reads the file itself, unless an uploader is configured
    /// (`kling.uploader`, or `KLIP_UPLOAD`): then the upload path is taken, so it can be
    /// tested offline against `klip serve --remote-only`.
    case uploadWhenConfigured
    /// The API reads only public URLs (Kling's cloud, a gateway): always upload.
    case upload
}

extension ScriptBackend {
    public func journal() async throws -> Journal? { nil }
    public func callbackURL() async -> String? { nil }
    public func uploader() async throws -> ContentUploader? { nil }
    public var localVideos: LocalVideoRoute { .sendPath }
}
