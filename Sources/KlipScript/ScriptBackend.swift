/// Where `identify`, `lipsync` and `wait` go. Taken lazily: a script that never calls a
/// binding that needs the API never starts it (an empty script starts in milliseconds).
public protocol ScriptBackend: Sendable {
    /// "local" (the embedded emulator) or "kling".
    var name: String { get }
}
