import ArgumentParser
import KlingAPI

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "List lip-sync tasks, newest first.")

    @Option(name: .long, help: "pageNum, 1 to 1000.") var page: Int = 1
    @Option(name: .long, help: "pageSize, 1 to 500.") var size: Int = 30
    @Flag(name: .long, help: "Print the array of task objects as JSON.") var json = false
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let tasks = try await backend.makeBackend().run { try await $0.listTasks(page: page, size: size) }
        if json { return try Output.json(tasks) }
        if tasks.isEmpty { return print("no tasks") }
        Output.table(["task_id", "status", "external_task_id", "created", "message"], tasks.map {
            [$0.taskID, $0.taskStatus.rawValue, $0.externalTaskID ?? "-", Output.time($0.createdAt), $0.taskStatusMsg ?? ""]
        })
    }
}
