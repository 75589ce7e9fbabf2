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

        // Preflight knows http(s) URLs and Base64; a file reference (allowed here, inside a
        // media root) is shown to it as a URL so its other rules still run.
        var preflightBody = body
        if body.faceChoose.count == 1, let sound = body.faceChoose[0].soundFile, Self.isFileReference(sound) {
            preflightBody.faceChoose[0].soundFile = "http://local.file/sound"
        }
        do { try Preflight.check(preflightBody) } catch { throw APIFailure.invalidParameter(error) }

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

        let sound = try await fetchSound(choice.soundFile ?? "", into: taskDir)
        let base = base(for: request)
        let facts = PreflightFacts(audio: sound.facts, faces: WireMapping.faces(session, base: base),
                                   videoDurationMs: session.durationMs)
        do { try Preflight.check(preflightBody, facts: facts) } catch { throw APIFailure.invalidParameter(error) }

        let now = IDs.nowMs()
        let record = TaskRecord(
            id: taskID, externalTaskID: body.externalTaskID, sessionID: session.id, status: "submitted", statusMsg: "",
            createdAt: now, updatedAt: now, faceID: choice.faceID, audioPath: sound.path,
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

    /// `file://...`, or an absolute path that is not Base64 (Base64 may itself start with "/").
    static func isFileReference(_ sound: String) -> Bool {
        let text = sound.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.lowercased().hasPrefix("file://") { return true }
        return text.hasPrefix("/") && Data(base64Encoded: text) == nil
    }

    struct FetchedSound: Sendable {
        var path: String
        var facts: AudioFacts
    }

    /// The sound as a file in `dir`, with the facts Preflight checks (format, size, duration).
    func fetchSound(_ sound: String, into dir: URL) async throws(APIFailure) -> FetchedSound {
        let field = "face_choose[0].sound_file"
        let text = sound.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let source: String
        let name: String
        var format: String?
        var isLocal = false
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || Self.isFileReference(text) {
            let reference = try media.reference(text, field: field)
            // One byte over Kling's limit is enough to say it is too large.
            source = try await media.fetch(reference, field: field, limit: Int64(KlingLimits.audioMaxBytes) + 1,
                                           limitText: "5 MB (Kling's audio limit)", into: dir, baseName: "download")
            if case .local = reference { isLocal = true }
            let urlPath: String
            switch reference {
            case let .remote(url): urlPath = url.path
            case let .local(path): urlPath = path
            }
            name = (urlPath as NSString).lastPathComponent.isEmpty ? "sound_file" : (urlPath as NSString).lastPathComponent
            let ext = MediaInput.fileExtension(urlPath)
            if ext != "bin" { format = ext }
        } else {
            guard let bytes = Data(base64Encoded: text) else {
                throw .invalidParameter(field, "is neither an http(s) URL nor valid Base64")
            }
            source = dir.appendingPathComponent("download.bin").path
            do { try bytes.write(to: URL(fileURLWithPath: source)) } catch { throw .internalError("cannot store the sound") }
            name = "the Base64 sound_file"
        }

        // Size first: an oversized file is refused for its size, whatever it contains.
        let bytes = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.intValue ?? 0
        if bytes > KlingLimits.audioMaxBytes {
            throw .invalidParameter(field, "\(name) is \(bytes) bytes; the limit is 5 MB")
        }
        let info: MediaInfo
        do { info = try await MediaProbe.probe(source) } catch {
            throw .invalidParameter(field, "\(name) is not readable as audio")
        }
        guard info.audio != nil, let duration = info.audioDurationMs else {
            throw .invalidParameter(field, "\(name) has no audio stream")
        }
        let resolvedFormat = format ?? Self.audioFormat(info)
        let facts = AudioFacts(durationMs: duration, bytes: bytes, format: resolvedFormat, name: name)
        do { try Preflight.check(facts, at: field) } catch { throw APIFailure.invalidParameter(error) }

        // Keep the task's own copy: it must survive a restart and the source changing.
        let kept = dir.appendingPathComponent("sound.\(resolvedFormat)").path
        do {
            if isLocal { try FileManager.default.copyItem(atPath: source, toPath: kept) }
            else { try FileManager.default.moveItem(atPath: source, toPath: kept) }
        } catch { throw .internalError("cannot store the sound") }
        return FetchedSound(path: kept, facts: facts)
    }

    /// The format Kling would see for bytes without a file name. Audio in an mp4 with video
    /// stays "mp4" so it is refused, as Kling refuses it.
    static func audioFormat(_ info: MediaInfo) -> String {
        let names = info.formatName.split(separator: ",").map(String.init)
        if names.contains("mp3") { return "mp3" }
        if names.contains("wav") { return "wav" }
        if names.contains("aac") { return "aac" }
        if names.contains("mp4") || names.contains("m4a") { return info.video == nil ? "m4a" : "mp4" }
        return names.first ?? "unknown"
    }
}
