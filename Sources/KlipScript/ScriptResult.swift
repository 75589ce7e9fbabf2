import KlingAPI

/// How a run ended.
public struct ScriptResult: Sendable {
    /// 0 success, 1 an uncaught error (or a limit), 130 interrupted.
    public var exitStatus: Int32
    /// What the main chunk returned (for tests and embedding).
    public var values: [LuaValue]
    /// The report printed for an uncaught error: message and the script's traceback.
    public var errorMessage: String?
    /// The lip-sync tasks this run created, in order.
    public var createdTasks: [CreatedTask]
    /// `klip run --plan`: the tasks the script would create.
    public var plan: Plan? = nil
}

public struct CreatedTask: Sendable, Equatable {
    public var taskID: String
    public var externalTaskID: String?
    public var lastStatus: TaskStatus
}
