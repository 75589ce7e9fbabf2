import Foundation

/// The plain client: every call goes to the API; nothing is recorded or reused.
extension KlingClient: LipSyncService {
    public func identify(video: String) async throws(KlingError) -> IdentifyFaceResult {
        try await identifyFace(video: video)
    }

    public func identify(_ request: IdentifyFaceRequest) async throws(KlingError) -> IdentifyFaceResult {
        try await identifyFace(request)
    }

    public func create(_ request: LipSyncRequest, audio: AudioFacts?) async throws(KlingError) -> LipSyncCreation {
        LipSyncCreation(task: try await createLipSync(request, audio: audio), origin: .created)
    }

    public func task(_ id: String) async throws(KlingError) -> LipSyncTask {
        try await task(id: id)
    }

    public func wait(for id: String, timeout: Duration, firstPoll: Duration,
                     onStatus: (@Sendable (LipSyncTask) async -> Void)?) async throws(KlingError) -> LipSyncTask {
        try await wait(taskID: id, timeout: timeout, firstPoll: firstPoll, onStatus: onStatus)
    }

    public func waitingTogether<T: Sendable>(on ids: [String], _ waits: @Sendable () async throws -> T) async throws -> T {
        try await onBoard(ids, waits)
    }

    @discardableResult
    public func download(_ url: String, to path: String, for taskID: String?) async throws(KlingError) -> Int64 {
        try await download(url, to: path)
    }
}
