import KlingAPI

/// `wait(task_or_tasks, {timeout=, interval=, on_status=})`: polls until each task ends;
/// the result table, or a list of them in the order given.
struct WaitTasks: ServiceBinding {
    static let name = "wait_tasks"

    let ids: [String]
    /// One task given (not a list): one result returned.
    let single: Bool
    let timeout: Duration
    let firstPoll: Duration
    let onStatus: RetainedFunction?

    init(arguments: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let target = arguments.first ?? .nil
        if let id = Tables.taskID(target) {
            ids = [id]
            single = true
        } else if target.isTable, !target.arrayItems.isEmpty {
            var list: [String] = []
            for (i, item) in target.arrayItems.enumerated() {
                guard let id = Tables.taskID(item) else {
                    throw .argument("tasks[\(i + 1)]", "wait needs tasks (from lipsync), task ids, or kling.spawn handles; got a \(item.typeName)")
                }
                list.append(id)
            }
            ids = list
            single = false
        } else {
            throw .argument("task", "wait needs a task (from lipsync), a task id, a list of them, or a kling.spawn handle; got a \(target.typeName)")
        }
        let opts = arguments.count > 1 ? arguments[1] : .nil
        var timeout: Double = 1800
        var interval: Double = 1
        var onStatus: RetainedFunction?
        if opts.isTable {
            if !opts["timeout"].isNil {
                guard let t = opts["timeout"].number, t > 0 else { throw .argument("timeout", "must be a number of seconds > 0") }
                timeout = t
            }
            if !opts["interval"].isNil {
                guard let t = opts["interval"].number, t > 0 else { throw .argument("interval", "must be a number of seconds > 0") }
                interval = t
            }
            switch opts["on_status"] {
            case .nil: break
            case let .ref(r): onStatus = RetainedFunction(r, in: rt)
            default: throw .argument("on_status", "must be a function")
            }
        } else if !opts.isNil {
            throw .argument("opts", "must be a table {timeout=, interval=, on_status=}")
        }
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.firstPoll = .milliseconds(Int64(interval * 1000))
        self.onStatus = onStatus
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        let callback = onStatus
        let report: @Sendable (LipSyncTask) async -> Void = { task in
            context.progress.update(taskID: task.taskID, status: task.taskStatus)
            callback?.call(with: Tables.result(task))
        }
        let (ids, timeout, firstPoll) = (ids, timeout, firstPoll)
        let results = try await service.waitingTogether(on: ids) {
            try await withThrowingTaskGroup(of: (Int, LipSyncTask).self) { group in
                for (i, id) in ids.enumerated() {
                    group.addTask {
                        (i, try await service.wait(for: id, timeout: timeout, firstPoll: firstPoll, onStatus: report))
                    }
                }
                var out = [LuaValue](repeating: .nil, count: ids.count)
                for try await (i, task) in group { out[i] = Tables.result(task) }
                return out
            }
        }
        return single ? [results[0]] : [.array(results)]
    }
}

/// A Lua function a binding keeps past its call (registry reference): called through the
/// scheduler, as a new coroutine, and let go when the request holding it is gone.
final class RetainedFunction: Sendable {
    let ref: Int32
    private let sink: AsyncStream<Event>.Continuation

    init(_ ref: Int32, in rt: LuaRuntime) {
        rt.retainArgument(ref)
        self.ref = ref
        sink = rt.sink
    }

    func call(with argument: LuaValue) { sink.yield(.callback(function: ref, argument: argument)) }

    deinit { sink.yield(.release(ref)) }
}
