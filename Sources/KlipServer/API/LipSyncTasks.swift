import Foundation
import Hummingbird
import KlingAPI
import KlipMedia

extension Service {
    /// `POST videos/advanced-lip-sync`: validate with the client's own preflight rules and the
    /// facts only the server knows (the audio, the session's faces, the video's length), then queue.
    func createTask(_ request: Request) async throws -> Response {
        let data = try await RequestDecoding.body(request, limit: config.maxBodyBytes)
        let body = try RequestDecoding.decode(LipSyncRequest.self, from: data)

        let sound = SoundField(body.faceChoose.first?.soundFile)
        var preflightBody = body
        if body.faceChoose.count == 1 { preflightBody.faceChoose[0].soundFile = sound.preflightText }
        do { try Preflight.check(preflightBody) } catch { throw APIFailure.invalidParameter(error) }

        if config.outboundLoopbackOnly, let callback = body.callbackURL,
           !MediaInput.isLoopbackHost(URL(string: callback)?.host ?? "") {
            throw APIFailure.invalidParameter("callback_url", "this emulator delivers callbacks only to loopback hosts (127.0.0.1, ::1, localhost)")
        }
        let choice = body.faceChoose[0]
        if let audioID = choice.audioID, !audioID.isEmpty {
            throw APIFailure.invalidParameter("face_choose[0].audio_id", "the emulator has no text-to-speech, so no audio_id can be found; give sound_file instead")
        }
        guard let session = try await store.session(body.sessionID) else {
            throw APIFailure.notFound("session \(body.sessionID) not found")
        }
        if IDs.nowMs() >= session.expiresAt {
            throw APIFailure.notFound("session \(body.sessionID) has expired (sessions are valid for \(config.sessionLifetime) after identify-face)")
        }
        if let ext = body.externalTaskID, try await store.task(ext)?.externalTaskID == ext {
            throw Self.duplicateExternalID(ext)
        }

        // Cheap early answer for a client retrying 1303 with a large Base64 sound; the
        // insert below re-checks atomically.
        if try await store.activeCount() >= config.maxParallel {
            throw APIFailure.tooManyParallel(config.maxParallel)
        }

        let taskID = IDs.make()
        let taskDir = layout.taskPrivate(taskID)
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: taskDir) } }
        try FileManager.default.createDirectory(at: taskDir, withIntermediateDirectories: true)

        let fetched = try await fetchSound(sound.content, into: taskDir)
        let base = base(for: request)
        let facts = PreflightFacts(audio: fetched.facts, faces: WireMapping.faces(session, base: base),
                                   videoDurationMs: session.durationMs)
        do { try Preflight.check(preflightBody, facts: facts) } catch { throw APIFailure.invalidParameter(error) }

        let now = IDs.nowMs()
        let record = TaskRecord(
            id: taskID, externalTaskID: body.externalTaskID, sessionID: session.id, status: .submitted, statusMsg: "",
            createdAt: now, updatedAt: now, faceID: choice.faceID, audioPath: fetched.path,
            soundStartMs: choice.soundStartTime, soundEndMs: choice.soundEndTime, insertMs: choice.soundInsertTime,
            soundVolume: choice.soundVolume ?? 1, originalVolume: choice.originalAudioVolume ?? 1,
            callbackURL: body.callbackURL, baseURL: base, resultDurationMs: nil)
        switch try await store.create(record, limit: config.maxParallel) {
        case .overLimit: throw APIFailure.tooManyParallel(config.maxParallel)
        case .duplicateExternalID: throw Self.duplicateExternalID(body.externalTaskID ?? "")
        case .created: keep = true
        }
        logger.info("task submitted", metadata: ["task_id": "\(taskID)", "session_id": "\(session.id)"])
        let wire = WireMapping.task(record, base: base)
        if let url = record.callbackURL { await callbacks.send(wire, to: url) }
        await runner.enqueue(taskID)
        return Reply.success(wire)
    }

    /// `GET videos/advanced-lip-sync/{id}`: by task id first, then by external task id.
    func queryTask(_ id: String, request: Request) async throws -> Response {
        guard let task = try await store.task(id) else { throw APIFailure.notFound("task \(id) not found") }
        return Reply.success(WireMapping.task(task, base: base(for: request)))
    }

    /// `GET videos/advanced-lip-sync?pageNum=&pageSize=`: newest first.
    func listTasks(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        func number(_ name: String, default value: Int) throws(APIFailure) -> Int {
            guard let text = query.get(name) else { return value }
            guard let n = Int(text) else { throw .invalidParameter(name, "must be an integer; got \(text)") }
            return n
        }
        let page = try number("pageNum", default: 1)
        let size = try number("pageSize", default: 30)
        do { try Preflight.checkPage(page, size: size) } catch { throw APIFailure.invalidParameter(error) }
        let base = base(for: request)
        return Reply.success(try await store.tasks(page: page, size: size).map { WireMapping.task($0, base: base) })
    }

    static func duplicateExternalID(_ ext: String) -> APIFailure {
        .invalidParameter("external_task_id", "\"\(ext)\" is already used by another task; it must be unique")
    }
}
