import Foundation

/// What a caller asks of the lip-sync API, whoever answers it: `KlingClient` talks to the
/// API directly, a journaled client answers from what earlier runs paid for first. Callers
/// (the script bindings, the commands) take `any LipSyncService` and never ask which.
public protocol LipSyncService: Sendable {
    /// `video`: an http(s) URL, or (local backend only) a path or `file://` URL.
    func identify(video: String) async throws(KlingError) -> IdentifyFaceResult
    func identify(_ request: IdentifyFaceRequest) async throws(KlingError) -> IdentifyFaceResult
    func create(_ request: LipSyncRequest, audio: AudioFacts?) async throws(KlingError) -> LipSyncCreation
    /// One query, no waiting: a task id or an external task id.
    func task(_ id: String) async throws(KlingError) -> LipSyncTask
    /// Until the task ends: returns it when it succeeds, throws `.failed`, `.timeout`, `.cancelled`.
    func wait(for id: String, timeout: Duration, firstPoll: Duration,
              onStatus: (@Sendable (LipSyncTask) async -> Void)?) async throws(KlingError) -> LipSyncTask
    /// Runs `waits` (the `wait(for:)` calls of a list of tasks) knowing every task in `ids`
    /// is waited for at once, so a client that lists tasks answers their polls from shared
    /// list queries from the first poll on, not only once enough single waits have begun.
    func waitingTogether<T: Sendable>(on ids: [String], _ waits: @Sendable () async throws -> T) async throws -> T
    /// Saves a result video at `path`; `taskID` names the task it belongs to, when known.
    @discardableResult
    func download(_ url: String, to path: String, for taskID: String?) async throws(KlingError) -> Int64
}

extension LipSyncService {
    public func waitingTogether<T: Sendable>(on ids: [String], _ waits: @Sendable () async throws -> T) async throws -> T {
        try await waits()
    }
}

/// A create's answer: the task, and whether it was made now or found.
public struct LipSyncCreation: Sendable, Equatable {
    public enum Origin: String, Sendable {
        /// A new task was created.
        case created
        /// A record of an earlier run already had this request's task.
        case recorded
        /// A create whose answer was lost was found by its external_task_id.
        case recovered
    }

    public var task: LipSyncTask
    public var origin: Origin

    public init(task: LipSyncTask, origin: Origin) {
        self.task = task
        self.origin = origin
    }
}
