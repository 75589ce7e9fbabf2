import AsyncHTTPClient
import Foundation
import KlipMedia
import Logging

/// The Kling advanced lip-sync API: identify faces, create a task, query, list, wait, download.
/// Every rule that can be checked before sending is checked; every error is a `KlingError`.
public final class KlingClient: Sendable {
    public let configuration: KlingConfiguration
    let transport: Transport
    let sessions = SessionFacts()
    let http: HTTPClient
    let logger: Logger
    /// Wakes waits early when a callback says a task changed (see `CallbackReceiver`).
    public let signals = TaskSignals()
    let births = TaskBirths()
    let board: TaskBoard

    public init(configuration: KlingConfiguration, httpClient: HTTPClient = KlingHTTP.shared,
                logger: Logger = Logger(label: "klip.client")) {
        self.configuration = configuration
        self.http = httpClient
        self.logger = logger
        transport = Transport(configuration: configuration, http: httpClient,
                              auth: Authenticator(credentials: configuration.credentials), logger: logger,
                              limiter: RequestLimiter(limit: KlingHTTP.connectionsPerHost))
        // Kling's own API and the emulator list tasks; a gateway does not.
        let lists = configuration.pathPrefix == KlingConfiguration.klingPrefix || configuration.isLocal
        board = TaskBoard(list: lists ? { @Sendable [transport] page, size async throws(KlingError) in
            try await transport.call(.get, "videos/advanced-lip-sync", query: "pageNum=\(page)&pageSize=\(size)",
                                     as: [LipSyncTask].self)
        } : nil)
    }

    // MARK: identify-face

    public func identifyFace(_ request: IdentifyFaceRequest) async throws(KlingError) -> IdentifyFaceResult {
        try Preflight.check(request)
        let result = try await transport.call(.post, "videos/identify-face", body: request, as: IdentifyFaceResult.self)
        await sessions.record(result, videoDurationMs: nil)
        return result
    }

    /// `video`: an http(s) URL, or (local backend only) a path or `file://` URL.
    public func identifyFace(video: String) async throws(KlingError) -> IdentifyFaceResult {
        if Preflight.isURL(video) { return try await identifyFace(IdentifyFaceRequest(videoURL: video)) }
        let path = video.hasPrefix("file://") ? (URL(string: video)?.path ?? video) : video
        guard configuration.isLocal else {
            throw .validation("video_url", "\(video) is a local file; the Kling cloud needs a public http(s) URL (upload the video first)")
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        guard FileManager.default.isReadableFile(atPath: absolute.path) else {
            throw .validation("video_url", "\(path): no such readable file")
        }
        // The video's length lets a later create check that the clip ends within it: read
        // from an MP4's boxes where they are plain, else from ffprobe.
        var duration = MP4Duration.videoMs(path: absolute.path)
        if duration == nil { duration = try? await MediaProbe.probe(absolute.path).videoDurationMs }
        let request = IdentifyFaceRequest(videoURL: absolute.absoluteString)
        try Preflight.check(request)
        let result = try await transport.call(.post, "videos/identify-face", body: request, as: IdentifyFaceResult.self)
        await sessions.record(result, videoDurationMs: duration)
        return result
    }

    /// Remembers a session identified earlier (a journal's cached result), so creates on it
    /// are checked against its faces as if this client had identified it.
    public func adopt(_ result: IdentifyFaceResult, videoDurationMs: Int?) async {
        await sessions.record(result, videoDurationMs: videoDurationMs)
    }

    // MARK: advanced-lip-sync

    /// Probes, converts if needed, and Base64-encodes a local audio file; a URL passes through.
    /// Needs no request, so it is also available as `PreparedSound.prepare(_:)`.
    public func prepareSound(_ pathOrURL: String) async throws(KlingError) -> PreparedSound {
        try await PreparedSound.prepare(pathOrURL)
    }

    /// Checks every rule it can (with `audio`'s facts, the faces of sessions this client
    /// identified, and the video's length when known), then creates the task. Retried on
    /// transient failures only when the request carries an `external_task_id`.
    public func createLipSync(_ request: LipSyncRequest, audio: AudioFacts? = nil) async throws(KlingError) -> LipSyncTask {
        let known = await sessions.entry(request.sessionID)
        try Preflight.check(request, facts: PreflightFacts(audio: audio, faces: known?.faces,
                                                            videoDurationMs: known?.videoDurationMs))
        let external = request.externalTaskID
        let task = try await transport.call(.post, "videos/advanced-lip-sync", body: request,
                                            retryable: external != nil, as: LipSyncTask.self) { error in
            // The first attempt was created but its answer lost: find it instead of failing.
            guard let external, error.isDuplicateExternalID else { return nil }
            return try? await self.task(id: external)
        }
        births.record(task.taskID)
        return task
    }

    /// One query, no waiting. `id` is a task id (or an external task id).
    public func task(id: String) async throws(KlingError) -> LipSyncTask {
        guard !id.isEmpty, let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) else {
            throw .validation("task_id", "is required")
        }
        var task = try await transport.call(.get, "videos/advanced-lip-sync/\(escaped)", as: LipSyncTask.self)
        if task.taskID.isEmpty { task.taskID = id }
        return task
    }

    public func listTasks(page: Int = 1, size: Int = 30) async throws(KlingError) -> [LipSyncTask] {
        try Preflight.checkPage(page, size: size)
        return try await transport.call(.get, "videos/advanced-lip-sync", query: "pageNum=\(page)&pageSize=\(size)",
                                        as: [LipSyncTask].self)
    }
}
