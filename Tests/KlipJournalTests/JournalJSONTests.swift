import Foundation
import KlingAPI
@testable import KlipJournal
import Testing

/// The journal writes tasks with WireJSON; they must read back, and say what JSONEncoder says.
@Suite struct JournalJSONTests {
    static let tasks: [LipSyncTask] = [
        LipSyncTask(taskID: "1", taskStatus: .submitted),
        LipSyncTask(taskID: "t-2", taskStatus: .failed, taskStatusMsg: "quote \" backslash \\ newline \n tab \t bell \u{7} é 字",
                    taskInfo: TaskInfo(externalTaskID: "klip-abc"), createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_500),
        LipSyncTask(taskID: "3", taskStatus: .succeed, taskInfo: TaskInfo(),
                    taskResult: TaskResult(videos: [TaskVideo(id: "v1", url: "http://127.0.0.1:9/files/a.mp4?x=1&y=\"2\"", duration: "2.5"),
                                                    TaskVideo(id: "v2", url: "u", duration: "")]),
                    watermarkURL: "http://w/1.mp4"),
        LipSyncTask(taskID: "4", taskStatus: .succeed, taskResult: TaskResult(videos: [])),
        // Kling's free-form fields take JSONEncoder.
        LipSyncTask(taskID: "5", taskStatus: .succeed, finalUnitDeduction: .string("1.5"),
                    finalBalanceDeduction: .object(["a": .null, "b": .array([.int(1), .double(0.5), .bool(true)])])),
    ]

    @Test(arguments: tasks) func readsBackAndMatchesJSONEncoder(_ task: LipSyncTask) throws {
        let json = try task.journalJSON()
        #expect(try JSONDecoder().decode(LipSyncTask.self, from: Data(json.utf8)) == task)
        let ours = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(task)) as? NSDictionary
        #expect(ours != nil && ours == foundation, "\(json)")
    }

    @Test func theJournalRecordsAndReturnsTheTask() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-journal-\(UUID().uuidString)")
        let journal = try Journal(path: dir.appendingPathComponent("journal.sqlite").path, backend: "local:test")
        let task = Self.tasks[2]
        _ = try await journal.begin(fingerprint: "fp", externalTaskID: "ext", attempt: 1, summary: "s")
        try journal.record(task, fingerprint: "fp")
        #expect(try await journal.entry(taskID: "3")?.task == task)
    }
}
