import KlingAPI

/// `kling.task(id)`: one query, no waiting; the result table.
struct TaskQuery: ServiceBinding {
    static let name = "task"

    let id: String

    init(arguments: [LuaValue], runtime: LuaRuntime) throws(ScriptError) {
        guard let id = Tables.taskID(arguments.first ?? .nil) else {
            throw .argument("task_id", "kling.task needs a task id or a task table")
        }
        self.id = id
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        let task = try await service.task(id)
        context.progress.update(taskID: task.taskID, status: task.taskStatus)
        return [Tables.result(task)]
    }
}
