import KlingAPI

/// `lipsync{...}`: creates the task (queueing while every slot is taken); the task table.
struct LipSync: ServiceBinding {
    static let name = "lipsync"

    let spec: LipSyncSpec

    init(arguments: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let arg = arguments.first ?? .nil
        guard arg.isTable else {
            throw .argument("spec", "lipsync needs a table: {session=..., face_id=..., sound_file=..., sound_start_time=..., sound_end_time=..., sound_insert_time=...}")
        }
        spec = try LipSyncSpec(arg, paths: rt.context.paths)
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        var request = spec.request
        var facts: AudioFacts?
        if let sound = spec.localSound {
            let prepared = try await context.sounds.prepare(sound)
            request.faceChoose[0].soundFile = prepared.soundFile
            facts = prepared.facts
            if let note = prepared.note { context.diagnostics("[\(context.scriptName)] \(note)") }
        }
        if request.callbackURL == nil { request.callbackURL = await context.backend?.callbackURL() }
        let sent = request
        let created = try await SlotQueue.default.run(onQueued: { refused in
            context.diagnostics("[\(context.scriptName)] waiting for a free task slot (\(refused.message))")
        }) { () async throws(KlingError) in try await service.create(sent, audio: facts) }
        let task = created.task
        context.plan?.created(taskID: task.taskID, request: sent)
        if created.origin != .created {
            let how = created.origin == .recorded ? "is in the journal" : "was found by its external_task_id"
            context.diagnostics("[\(context.scriptName)] task \(task.taskID) \(how): not created again")
        }
        context.progress.created(taskID: task.taskID, externalTaskID: task.externalTaskID ?? request.externalTaskID,
                                 status: task.taskStatus)
        var table = Tables.task(task)
        if task.externalTaskID == nil, let ext = request.externalTaskID {
            table = table.setting("external_task_id", .string(ext))
        }
        return [table]
    }
}
