import Foundation
import KlingAPI

/// The journaled client as a `LipSyncService`: the same answers, with the journal's own
/// failures (SQLite, a file) reported as `KlingError`s so callers catch one error type.
extension JournaledClient: LipSyncService {
    public func identify(video: String) async throws(KlingError) -> IdentifyFaceResult {
        try await Self.typed { try await identifyFace(video: video) }
    }

    public func identify(_ request: IdentifyFaceRequest) async throws(KlingError) -> IdentifyFaceResult {
        try await Self.typed { try await identifyFace(request) }
    }

    public func create(_ request: LipSyncRequest, audio: AudioFacts?) async throws(KlingError) -> LipSyncCreation {
        let (task, origin) = try await Self.typed { try await createLipSync(request, audio: audio) }
        let named: LipSyncCreation.Origin = switch origin {
        case .created: .created
        case .recorded: .recorded
        case .recovered: .recovered
        }
        return LipSyncCreation(task: task, origin: named)
    }

    public func task(_ id: String) async throws(KlingError) -> LipSyncTask {
        try await Self.typed { try await task(id: id) }
    }

    public func wait(for id: String, timeout: Duration, firstPoll: Duration,
                     onStatus: (@Sendable (LipSyncTask) async -> Void)?) async throws(KlingError) -> LipSyncTask {
        try await Self.typed { try await wait(taskID: id, timeout: timeout, firstPoll: firstPoll, onStatus: onStatus) }
    }

    public func waitingTogether<T: Sendable>(on ids: [String], _ waits: @Sendable () async throws -> T) async throws -> T {
        try await client.waitingTogether(on: ids, waits)
    }

    @discardableResult
    public func download(_ url: String, to path: String, for taskID: String?) async throws(KlingError) -> Int64 {
        try await Self.typed { try await download(url, to: path, taskID: taskID) }
    }

    /// A journal failure is not the API's: it keeps its own text (cancellation stays cancellation).
    static func typed<T>(_ body: () async throws -> T) async throws(KlingError) -> T {
        do { return try await body() } catch let error as KlingError {
            throw error
        } catch {
            if error is CancellationError || Task.isCancelled { throw KlingError(kind: .cancelled, message: "cancelled") }
            throw KlingError(kind: .network, message: "\(error)")
        }
    }
}
