import ArgumentParser
import KlingAPI

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task", abstract: "Query a task once.")

    @Argument(help: "task_id (or external_task_id).") var id: String
    @Flag(name: .long, help: "Print the task object as JSON.") var json = false
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let backend = try backend.makeBackend()
        let task = try await backend.presented(backend.run { try await $0.task(id: id) })
        if json { return try Output.json(task) }
        Output.describe(task)
    }
}
