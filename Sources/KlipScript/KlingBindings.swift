import Foundation
import KlingAPI

/// identify, lipsync, wait, task, download: the API through the real `KlingClient`.
/// Argument shapes are checked here (naming the API's field) before anything starts; the
/// client then checks every documented rule before sending.
extension LuaRuntime {
    func registerKlingBindings() {
        register("identify", waits: true) { rt, args in
            let video = args.first ?? .nil
            let request: IdentifyFaceRequest?
            let target: String?
            switch video {
            case let .string(s):
                do throws(ScriptError) { target = try rt.context.paths.check(s, field: "video_url") } catch { return .error(error) }
                request = nil
            case .table:
                let url = video["video_url"].stringValue
                let id = video["video_id"].stringValue ?? video["video_id"].integer.map(String.init)
                if (url == nil) == (id == nil) {
                    return .error(.argument("video_url", "identify needs exactly one of video_url or video_id"))
                }
                if let url, !PathPolicy.isURL(url) {
                    do throws(ScriptError) { target = try rt.context.paths.check(url, field: "video_url") } catch { return .error(error) }
                    request = nil
                } else {
                    target = nil
                    request = IdentifyFaceRequest(videoID: id, videoURL: url)
                }
            default:
                return .error(.argument("video_url", "identify needs a video path or URL, or {video_url=...} / {video_id=...}; got a \(video.typeName)"))
            }
            let context = rt.context
            return .wait {
                await context.call { client in
                    let result: IdentifyFaceResult
                    let journaled = try await context.journaled(client)
                    switch (journaled, target) {
                    case let (journaled?, target?): result = try await journaled.identifyFace(video: target)
                    case let (journaled?, nil): result = try await journaled.identifyFace(request!)
                    case let (nil, target?): result = try await client.identifyFace(video: target)
                    case (nil, nil): result = try await client.identifyFace(request!)
                    }
                    return [Self.sessionTable(result)]
                }
            }
        }

        register("lipsync", waits: true) { rt, args in
            let spec = args.first ?? .nil
            guard spec.isTable else {
                return .error(.argument("spec", "lipsync needs a table: {session=..., face_id=..., sound_file=..., sound_start_time=..., sound_end_time=..., sound_insert_time=...}"))
            }
            let parsed: LipSyncSpec
            do throws(ScriptError) { parsed = try LipSyncSpec(spec, paths: rt.context.paths) } catch { return .error(error) }
            let context = rt.context
            return .wait {
                await context.call { client in
                    var request = parsed.request
                    var facts: AudioFacts?
                    if let sound = parsed.localSound {
                        let prepared = try await context.sounds.prepare(sound, with: client)
                        request.faceChoose[0].soundFile = prepared.soundFile
                        facts = prepared.facts
                        if let note = prepared.note { context.diagnostics("[\(context.scriptName)] \(note)") }
                    }
                    let task = try await Self.create(request, audio: facts, client: client, context: context)
                    context.progress.created(taskID: task.taskID,
                                             externalTaskID: task.externalTaskID ?? request.externalTaskID,
                                             status: task.taskStatus.rawValue)
                    var table = Self.taskTable(task)
                    if task.externalTaskID == nil, let ext = request.externalTaskID {
                        table = table.setting("external_task_id", .string(ext))
                    }
                    return [table]
                }
            }
        }

        register("wait_tasks", waits: true) { rt, args in
            let target = args.first ?? .nil
            let opts = args.count > 1 ? args[1] : .nil
            let ids: [String]
            let single: Bool
            if let id = Self.taskID(target) {
                ids = [id]
                single = true
            } else if target.isTable, !target.arrayItems.isEmpty {
                var list: [String] = []
                for (i, item) in target.arrayItems.enumerated() {
                    guard let id = Self.taskID(item) else {
                        return .error(.argument("tasks[\(i + 1)]", "wait needs tasks (from lipsync), task ids, or kling.spawn handles; got a \(item.typeName)"))
                    }
                    list.append(id)
                }
                ids = list
                single = false
            } else {
                return .error(.argument("task", "wait needs a task (from lipsync), a task id, a list of them, or a kling.spawn handle; got a \(target.typeName)"))
            }
            var timeout: Double = 1800
            var interval: Double = 1
            var onStatus: Int32?
            if opts.isTable {
                if !opts["timeout"].isNil {
                    guard let t = opts["timeout"].number, t > 0 else { return .error(.argument("timeout", "must be a number of seconds > 0")) }
                    timeout = t
                }
                if !opts["interval"].isNil {
                    guard let t = opts["interval"].number, t > 0 else { return .error(.argument("interval", "must be a number of seconds > 0")) }
                    interval = t
                }
                switch opts["on_status"] {
                case .nil: break
                case let .ref(r):
                    rt.retainArgument(r)
                    onStatus = r
                default: return .error(.argument("on_status", "must be a function"))
                }
            } else if !opts.isNil {
                return .error(.argument("opts", "must be a table {timeout=, interval=, on_status=}"))
            }
            let context = rt.context
            let sink = rt.sink
            let (timeoutMs, intervalMs, callback) = (Int64(timeout * 1000), Int64(interval * 1000), onStatus)
            let report: @Sendable (LipSyncTask) async -> Void = { task in
                context.progress.update(taskID: task.taskID, status: task.taskStatus.rawValue)
                if let callback { sink.yield(.callback(function: callback, argument: Self.resultTable(task))) }
            }
            return .wait {
                defer { if let callback { sink.yield(.release(callback)) } }
                return await context.call { client in
                    let results = try await withThrowingTaskGroup(of: (Int, LipSyncTask).self) { group in
                        for (i, id) in ids.enumerated() {
                            group.addTask {
                                let timeout = Duration.milliseconds(timeoutMs), first = Duration.milliseconds(intervalMs)
                                let task = if let journaled = try await context.journaled(client) {
                                    try await journaled.wait(taskID: id, timeout: timeout, firstPoll: first, onStatus: report)
                                } else {
                                    try await client.wait(taskID: id, timeout: timeout, firstPoll: first, onStatus: report)
                                }
                                return (i, task)
                            }
                        }
                        var out = [LuaValue](repeating: .nil, count: ids.count)
                        for try await (i, task) in group { out[i] = Self.resultTable(task) }
                        return out
                    }
                    return single ? [results[0]] : [.array(results)]
                }
            }
        }

        register("task", waits: true) { rt, args in
            guard let id = Self.taskID(args.first ?? .nil) else {
                return .error(.argument("task_id", "kling.task needs a task id or a task table"))
            }
            let context = rt.context
            return .wait {
                await context.call { client in
                    let task = if let journaled = try await context.journaled(client) {
                        try await journaled.task(id: id)
                    } else {
                        try await client.task(id: id)
                    }
                    context.progress.update(taskID: task.taskID, status: task.taskStatus.rawValue)
                    return [Self.resultTable(task)]
                }
            }
        }

        register("download", waits: true) { rt, args in
            let source = args.first ?? .nil
            let url: String
            switch source {
            case let .string(s): url = s
            case .table:
                if let u = source["videos"][1]["url"].stringValue ?? source["url"].stringValue { url = u }
                else if Self.taskID(source) != nil {
                    return .error(.argument("result", "this task has no video yet: wait for it first (kling.download(wait(task), path))"))
                } else {
                    return .error(.argument("result", "kling.download needs a result (from wait), a video table or a URL"))
                }
            default:
                return .error(.argument("result", "kling.download needs a result (from wait) or a URL; got a \(source.typeName)"))
            }
            guard let pathArg = args.count > 1 ? args[1].stringValue : nil, !pathArg.isEmpty else {
                return .error(.argument("path", "kling.download needs a destination path"))
            }
            let path: String
            do throws(ScriptError) { path = try rt.context.paths.check(pathArg, field: "path") } catch { return .error(error) }
            let context = rt.context
            let taskID = source.isTable ? Self.taskID(source) : nil
            return .wait {
                await context.call { client in
                    if let journaled = try await context.journaled(client) {
                        try await journaled.download(url, to: path, taskID: taskID)
                    } else {
                        _ = try await client.download(url, to: path)
                    }
                    return [.string(pathArg)]
                }
            }
        }
    }

    /// Creates the task, waiting for a free slot while the account runs as many tasks as it
    /// may (code 1303: the create was refused, so trying again cannot make a second task).
    /// A loop of lipsync calls then queues here instead of failing.
    static func create(_ request: LipSyncRequest, audio: AudioFacts?, client: KlingClient,
                       context: ScriptContext) async throws -> LipSyncTask {
        var request = request
        if request.callbackURL == nil { request.callbackURL = await context.backend?.callbackURL() }
        let journaled = try await context.journaled(client)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(1800)
        var delay: Duration = .seconds(1)
        var told = false
        while true {
            let refused: KlingError
            do {
                guard let journaled else { return try await client.createLipSync(request, audio: audio) }
                let (task, origin) = try await journaled.createLipSync(request, audio: audio)
                if origin != .created {
                    let how = origin == .recorded ? "is in the journal" : "was found by its external_task_id"
                    context.diagnostics("[\(context.scriptName)] task \(task.taskID) \(how): not created again")
                }
                return task
            } catch let error as KlingError {
                refused = error
            }
            guard refused.code == 1303, clock.now + delay < deadline else { throw refused }
            if !told {
                context.diagnostics("[\(context.scriptName)] waiting for a free task slot (\(refused.message))")
                told = true
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 1.5, .seconds(10))
        }
    }

    static func taskID(_ v: LuaValue) -> String? {
        switch v {
        case let .string(s) where !s.isEmpty: return s
        case let .int(i): return String(i)
        case .table:
            if let s = v["task_id"].stringValue, !s.isEmpty { return s }
            if let i = v["task_id"].integer { return String(i) }
            return nil
        default: return nil
        }
    }

    static func sessionTable(_ r: IdentifyFaceResult) -> LuaValue {
        let faces = LuaValue.array(r.faceData.map { f in
            .record([
                ("face_id", .string(f.faceID)),
                ("face_image", .string(f.faceImage)),
                ("start_time", .int(Int64(f.startTime))),
                ("end_time", .int(Int64(f.endTime))),
            ])
        })
        return .record([("session_id", .string(r.sessionID)), ("faces", faces)])
    }

    static func taskTable(_ t: LipSyncTask) -> LuaValue {
        .record([
            ("task_id", .string(t.taskID)),
            ("task_status", .string(t.taskStatus.rawValue)),
            ("external_task_id", t.externalTaskID.map { .string($0) } ?? .nil),
            ("created_at", t.createdAt.map { .int($0) } ?? .nil),
        ])
    }

    static func resultTable(_ t: LipSyncTask) -> LuaValue {
        let videos = LuaValue.array((t.taskResult?.videos ?? []).map { v in
            .record([("id", .string(v.id)), ("url", .string(v.url)), ("duration", .string(v.duration))])
        })
        return .record([
            ("task_id", .string(t.taskID)),
            ("task_status", .string(t.taskStatus.rawValue)),
            ("task_status_msg", t.taskStatusMsg.map { .string($0) } ?? .nil),
            ("external_task_id", t.externalTaskID.map { .string($0) } ?? .nil),
            ("videos", videos),
            ("created_at", t.createdAt.map { .int($0) } ?? .nil),
            ("updated_at", t.updatedAt.map { .int($0) } ?? .nil),
        ])
    }
}

extension LuaValue {
    /// The same table with `key` set.
    func setting(_ key: String, _ value: LuaValue) -> LuaValue {
        guard case var .table(pairs) = self else { return self }
        pairs.removeAll { $0.key == .string(key) }
        pairs.append(.init(.string(key), value))
        return .table(pairs)
    }
}

extension ScriptError {
    init(_ e: KlingError) {
        self.init(kind: e.kind.rawValue, message: e.message, field: e.field, code: e.code,
                  requestID: e.requestID, taskID: e.taskID)
    }
}

extension ScriptContext {
    /// Runs `body` with the backend's client; every failure becomes the error table.
    func call(_ body: @Sendable (KlingClient) async throws -> [LuaValue]) async -> Outcome {
        guard let backend else {
            return .error(ScriptError(kind: "network", message: "no API backend is configured for this run"))
        }
        do {
            let client = try await clients.client(from: backend)
            return .values(try await body(client))
        } catch let e as KlingError {
            return .error(ScriptError(e))
        } catch is CancellationError {
            return .error(.cancelled("cancelled"))
        } catch let e as ScriptError {
            return .error(e)
        } catch {
            if Task.isCancelled { return .error(.cancelled("cancelled")) }
            return .error(ScriptError(kind: "network", message: "\(error)"))
        }
    }
}

/// `lipsync{...}` read into a request: the flattened form or the raw API body.
struct LipSyncSpec: Sendable {
    var request: LipSyncRequest
    /// A local sound file to probe, convert if needed and send as Base64.
    var localSound: String?

    init(_ spec: LuaValue, paths: PathPolicy) throws(ScriptError) {
        let sessionID: String
        if let s = Self.id(spec["session_id"]) {
            sessionID = s
        } else if let s = Self.id(spec["session"]["session_id"]) {
            sessionID = s
        } else {
            throw .argument("session_id", "lipsync needs session = (what identify returned) or session_id = \"...\"")
        }
        let base = "face_choose[0]"
        let face: LuaValue
        if spec["face_choose"].isTable {
            let items = spec["face_choose"].arrayItems
            guard items.count == 1 else {
                throw .argument("face_choose", "must have exactly one element (Kling lip-syncs one face per task); it has \(items.count)")
            }
            face = items[0]
        } else {
            face = spec
        }
        guard let faceID = Self.id(face["face_id"]) ?? Self.id(face["face"]["face_id"]) else {
            throw .argument("\(base).face_id", "lipsync needs face_id = \"...\" or face = session.faces[i]")
        }
        func time(_ name: String) throws(ScriptError) -> Int {
            let v = face[name]
            if v.isNil { throw .argument("\(base).\(name)", "is required (integer milliseconds)") }
            guard let ms = v.integer else {
                throw .argument("\(base).\(name)", "must be an integer number of milliseconds; got \(v.typeName == "number" ? "a fraction" : "a \(v.typeName)")")
            }
            return ms
        }
        func volume(_ name: String) throws(ScriptError) -> Double? {
            let v = face[name]
            if v.isNil { return nil }
            guard let d = v.number else { throw .argument("\(base).\(name)", "must be a number in [0, 2]") }
            return d
        }
        func string(_ v: LuaValue, _ field: String) throws(ScriptError) -> String? {
            if v.isNil { return nil }
            guard let s = v.stringValue else { throw .argument(field, "must be a string") }
            return s
        }
        var audioID = Self.id(face["audio_id"])
        if audioID == nil { audioID = try string(face["audio_id"], "\(base).audio_id") }
        var sound = try string(face["sound_file"], "\(base).sound_file")
        var local: String?
        if let s = sound, !s.isEmpty, !PathPolicy.isURL(s), !Self.looksLikeBase64(s) {
            local = try paths.check(s, field: "\(base).sound_file")
            sound = local
        }
        var choose = FaceChoose(faceID: faceID, audioID: audioID, soundFile: sound,
                                soundStartTime: try time("sound_start_time"),
                                soundEndTime: try time("sound_end_time"),
                                soundInsertTime: try time("sound_insert_time"),
                                soundVolume: try volume("sound_volume"),
                                originalAudioVolume: try volume("original_audio_volume"))
        if local != nil { choose.soundFile = "pending" }
        request = LipSyncRequest(sessionID: sessionID, faceChoose: [choose],
                                 externalTaskID: try string(spec["external_task_id"], "external_task_id"),
                                 callbackURL: try string(spec["callback_url"], "callback_url"))
        localSound = local
    }

    static func id(_ v: LuaValue) -> String? {
        switch v {
        case let .string(s) where !s.isEmpty: return s
        case let .int(i): return String(i)
        default: return nil
        }
    }

    /// Long text with no path separators or dots: Base64 the script made itself.
    static func looksLikeBase64(_ s: String) -> Bool {
        s.utf8.count > 1024 && !FileManager.default.fileExists(atPath: s)
    }
}

/// A local sound file is probed, converted and encoded once per run, however many clips use it.
actor SoundCache {
    private struct Key: Hashable { var path: String; var size: Int64; var modified: Date }
    private var entries: [Key: Task<PreparedSound, any Error>] = [:]

    func prepare(_ path: String, with client: KlingClient) async throws -> PreparedSound {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.int64Value,
              let modified = attributes?[.modificationDate] as? Date else {
            return try await client.prepareSound(path)
        }
        let key = Key(path: PathPolicy.resolve(path), size: size, modified: modified)
        if let running = entries[key] { return try await running.value }
        let task = Task { try await client.prepareSound(path) }
        entries[key] = task
        do { return try await task.value } catch {
            entries[key] = nil
            throw error
        }
    }
}

/// One client per run, whatever the backend does when many coroutines ask at once: the
/// first request makes it (and starts the emulator), the others wait for that one.
actor ClientCache {
    private var making: Task<KlingClient, any Error>?

    func client(from backend: any ScriptBackend) async throws -> KlingClient {
        if let making { return try await making.value }
        let task = Task { try await backend.client() }
        making = task
        do { return try await task.value } catch {
            making = nil // a later call may try again
            throw error
        }
    }
}
