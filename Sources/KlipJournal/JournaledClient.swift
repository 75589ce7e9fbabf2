import Foundation
import KlingAPI

/// The client with the journal in front: identify results are reused while the session is
/// valid, a lip-sync request already made returns its task instead of paying again, and a
/// create whose answer was lost is found by its `external_task_id`.
public struct JournaledClient: Sendable {
    public let client: KlingClient
    public let journal: Journal
    /// Ignore recorded results: identify again and create new tasks (recorded anew).
    public let fresh: Bool
    /// How long an identify result is reused (sessions live 24 h; keep a margin).
    public var sessionReuse: Duration = .seconds(23 * 3600)

    public init(client: KlingClient, journal: Journal, fresh: Bool = false) {
        self.client = client
        self.journal = journal
        self.fresh = fresh
    }

    /// How a create was answered.
    public enum Origin: String, Sendable {
        /// A new task was created.
        case created
        /// The journal already had this request's task.
        case recorded
        /// A create whose answer was lost was found by its external_task_id.
        case recovered
    }

    // MARK: identify

    public func identifyFace(video: String) async throws -> IdentifyFaceResult {
        let key = try? Fingerprint.videoKey(video)
        if let key, !fresh, let cached = try await journal.session(videoKey: key) {
            return await adopt(cached)
        }
        let result = try await client.identifyFace(video: video)
        if let key { try await journal.record(session: result, videoKey: key, validFor: sessionReuse) }
        return result
    }

    public func identifyFace(_ request: IdentifyFaceRequest) async throws -> IdentifyFaceResult {
        let key = try? Fingerprint.videoKey(request)
        if let key, !fresh, let cached = try await journal.session(videoKey: key) {
            return await adopt(cached)
        }
        let result = try await client.identifyFace(request)
        if let key { try await journal.record(session: result, videoKey: key, validFor: sessionReuse) }
        return result
    }

    /// A recorded session, made current: the local emulator listens on a new port each run,
    /// so its face_image URLs are moved to the emulator this client talks to.
    func adopt(_ cached: IdentifyFaceResult) async -> IdentifyFaceResult {
        var result = cached
        for i in result.faceData.indices { result.faceData[i].faceImage = current(result.faceData[i].faceImage) }
        await client.adopt(result, videoDurationMs: nil)
        return result
    }

    /// A recorded task, its result URLs moved to the emulator this client talks to.
    func current(_ recorded: LipSyncTask) -> LipSyncTask {
        guard var result = recorded.taskResult else { return recorded }
        var task = recorded
        for i in result.videos.indices { result.videos[i].url = current(result.videos[i].url) }
        task.taskResult = result
        return task
    }

    /// A local emulator's `/files/` URL on the emulator this client talks to now. The same
    /// state folder is served whatever the port (the journal's scope names the folder), so
    /// a file a previous run's emulator served is served by this one.
    func current(_ url: String) -> String {
        guard client.configuration.isLocal, var parts = URLComponents(string: url),
              ["127.0.0.1", "localhost", "::1"].contains(parts.host ?? ""), parts.path.hasPrefix("/files/") else { return url }
        let base = client.configuration.baseURL
        parts.scheme = base.scheme
        parts.host = base.host
        parts.port = base.port
        return parts.string ?? url
    }

    // MARK: lip-sync

    public func createLipSync(_ request: LipSyncRequest, audio: AudioFacts? = nil) async throws -> (LipSyncTask, Origin) {
        let fresh = self.fresh
        // Nothing recorded (or a new attempt): the entry is written in the look-up's transaction.
        var (found, began) = try await journal.lookUp(request) { found in
            Self.attemptNow(found.entry, fresh: fresh).map { Self.pending(request, found, attempt: $0) }
        }
        let fingerprint = found.fingerprint
        if began == nil, let existing = found.entry {
            if let task = existing.task { return (current(task), .recorded) }
            // Written, then the process died or the answer was lost: ask by external id.
            if let task = try await lookUp(externalTaskID: existing.externalTaskID) {
                try journal.record(task, fingerprint: fingerprint)
                return (task, .recovered)
            }
            let pending = Self.pending(request, found, attempt: existing.attempt)
            began = try await journal.begin(fingerprint: fingerprint, externalTaskID: pending.externalTaskID,
                                            attempt: pending.attempt, summary: pending.summary)
        }
        var sent = request
        sent.externalTaskID = began?.externalTaskID
        let derived = request.externalTaskID == nil
        do {
            let task = try await client.createLipSync(sent, audio: audio)
            try journal.record(task, fingerprint: fingerprint)
            return (task, .created)
        } catch let error as KlingError where derived && error.isDuplicateExternalID {
            // The id is derived from this request's content, so the task already holding it is
            // this request's task (made by a run whose journal is gone, or on another machine).
            guard let found = try await lookUp(externalTaskID: sent.externalTaskID!) else { throw error }
            try journal.record(found, fingerprint: fingerprint)
            return (found, .recovered)
        } catch let error as KlingError where Self.refusedForCertain(error) {
            // Nothing was created, nothing is owed.
            try? await journal.forget(fingerprint: fingerprint)
            throw error
        }
        // Anything else (a lost connection, a timeout) leaves the entry pending: the next
        // run asks for it by external id before creating.
    }

    /// The attempt to write at once: the first, or the next after a failure (or with
    /// `fresh`). Nil when the entry answers first: its task, or a create whose answer was lost.
    static func attemptNow(_ existing: JournalEntry?, fresh: Bool) -> Int? {
        guard let existing else { return 1 }
        return fresh || existing.status == TaskStatus.failed.rawValue ? existing.attempt + 1 : nil
    }

    /// The entry of an attempt: its external id is the request's own, or derived from the
    /// fingerprint, with the attempt appended after the first.
    static func pending(_ request: LipSyncRequest, _ found: JournalLookUp, attempt: Int) -> PendingEntry {
        let base = request.externalTaskID ?? "klip-" + found.fingerprint.prefix(24)
        let face = request.faceChoose.first
        let summary = "face \(face?.faceID ?? "?") of \(found.videoKey.prefix(40)); audio \(face?.soundStartTime ?? 0)-\(face?.soundEndTime ?? 0) ms at \(face?.soundInsertTime ?? 0) ms"
        return PendingEntry(externalTaskID: attempt == 1 ? base : "\(base)-\(attempt)", attempt: attempt, summary: summary)
    }

    /// Answers that prove no task was created: a broken rule, a definite refusal, or a
    /// rate limit (1302/1303 refuse before creating).
    static func refusedForCertain(_ error: KlingError) -> Bool {
        // "external_task_id already used": the task may exist; the next run asks for it.
        if error.field == "external_task_id" || error.message.contains("external_task_id") { return false }
        return switch error.kind {
        case .validation: true
        case .api: !RetryPolicy.isRetryable(error) || error.klingCode?.refusedBeforeCreating == true
        default: false
        }
    }

    func lookUp(externalTaskID: String) async throws -> LipSyncTask? {
        do {
            return try await client.task(id: externalTaskID)
        } catch where error.klingCode == .notFound {
            return nil
        }
    }

    /// A recorded final task returns at once; otherwise waits and records what it sees.
    public func wait(taskID: String, timeout: Duration = .seconds(1800), firstPoll: Duration = .seconds(1),
                     onStatus: (@Sendable (LipSyncTask) async -> Void)? = nil) async throws -> LipSyncTask {
        // The status column first: the task's JSON is decoded only when it can answer.
        if !fresh, !journal.recordedUnfinished(taskID: taskID), let entry = try await journal.entry(taskID: taskID),
           entry.status == TaskStatus.succeed.rawValue,
           let task = entry.task, task.taskStatus == .succeed {
            let task = current(task)
            await onStatus?(task)
            return task
        }
        let journal = self.journal
        do {
            let task = try await client.wait(taskID: taskID, timeout: timeout, firstPoll: firstPoll) { task in
                // The final status is recorded once, below.
                if task.taskStatus != .succeed { try? journal.record(task) }
                await onStatus?(task)
            }
            try journal.record(task)
            return task
        } catch let error as KlingError where error.kind == .failed {
            if let task = try? await client.task(id: taskID) { try? journal.record(task) }
            throw error
        }
    }

    public func task(id: String) async throws -> LipSyncTask {
        let task = try await client.task(id: id)
        try journal.record(task)
        return task
    }

    /// Skips the download when this task's video is already at `path` (as recorded).
    @discardableResult
    public func download(_ url: String, to path: String, taskID: String?) async throws -> Int64 {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if !fresh, let taskID, let entry = try await journal.entry(taskID: taskID),
           entry.downloadedPath == absolute, FileManager.default.fileExists(atPath: absolute) {
            return (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.int64Value ?? 0
        }
        let bytes = try await client.download(current(url), to: absolute)
        if let taskID { try await journal.recordDownload(taskID: taskID, path: absolute) }
        return bytes
    }
}
