import ArgumentParser
import Foundation
import KlingAPI

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait until a task ends; optionally download its video.")

    @Argument(help: "task_id.") var id: String
    @Option(name: .long, help: "Download the result video here.") var out: String?
    @Option(name: .long, help: "Give up after this many seconds.") var timeout: Int = 1800
    @Flag(name: .long, help: "Print the task object as JSON.") var json = false
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let backend = try backend.makeBackend()
        let task = try await backend.presented(backend.run {
            try await Self.waitAndDownload($0, taskID: id, timeout: timeout, out: out)
        })
        if json { return try Output.json(task) }
        Output.describe(task)
    }

    /// Waits with a status line per change on stderr, then downloads the first video.
    static func waitAndDownload(_ client: KlingClient, taskID: String, timeout: Int, out: String?) async throws -> LipSyncTask {
        let started = ContinuousClock.now
        let task = try await client.wait(taskID: taskID, timeout: .seconds(timeout)) { task in
            let elapsed = Int((ContinuousClock.now - started).components.seconds)
            stderrLine("klip: task \(task.taskID) \(task.taskStatus) (\(elapsed) s)")
        }
        if let out {
            guard let video = task.taskResult?.videos.first else {
                throw CLIError(message: "task \(task.taskID) succeeded without a video to download")
            }
            let bytes = try await client.download(video.url, to: out)
            stderrLine("klip: wrote \(out) (\(bytes) bytes)")
        }
        return task
    }
}
