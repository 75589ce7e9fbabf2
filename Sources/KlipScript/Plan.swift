import Foundation
import KlingAPI

/// One task a planned run would create.
public struct PlannedTask: Sendable, Equatable, Codable {
    public var video: String
    public var faceID: String
    public var soundStartTime: Int
    public var soundEndTime: Int
    public var soundInsertTime: Int
    /// Seconds of output video (what Kling bills by), once the private emulator answered.
    public var outputSeconds: Double?
    public var externalTaskID: String?

    enum CodingKeys: String, CodingKey {
        case video, faceID = "face_id", soundStartTime = "sound_start_time", soundEndTime = "sound_end_time"
        case soundInsertTime = "sound_insert_time", outputSeconds = "output_seconds", externalTaskID = "external_task_id"
    }
}

/// What `klip run --plan` prints: every task, and the totals.
public struct Plan: Sendable, Equatable, Codable {
    public var tasks: [PlannedTask]
    public var totalTasks: Int { tasks.count }
    public var totalOutputSeconds: Double { tasks.reduce(0) { $0 + ($1.outputSeconds ?? 0) } }

    enum CodingKeys: String, CodingKey { case tasks, totalTasks = "total_tasks", totalOutputSeconds = "total_output_seconds" }

    public init(tasks: [PlannedTask]) { self.tasks = tasks }

    public init(from decoder: any Decoder) throws {
        tasks = try decoder.container(keyedBy: CodingKeys.self).decode([PlannedTask].self, forKey: .tasks)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(totalTasks, forKey: .totalTasks)
        try c.encode(totalOutputSeconds, forKey: .totalOutputSeconds)
    }

    /// The plan as lines for a person.
    public var text: String {
        var lines = tasks.enumerated().map { i, t in
            let seconds = t.outputSeconds.map { String(format: "%.1f s of output", $0) } ?? "output length unknown"
            return "\(i + 1). \(t.video)  face \(t.faceID)  audio \(t.soundStartTime)-\(t.soundEndTime) ms inserted at \(t.soundInsertTime) ms  \(seconds)"
        }
        lines.append(String(format: "total: %d task%@, %.1f s of output", totalTasks, totalTasks == 1 ? "" : "s", totalOutputSeconds))
        return lines.joined(separator: "\n")
    }
}

/// The run's record of what it identified and created, kept while planning.
final class PlanLog: Sendable {
    private struct State {
        var videos: [String: String] = [:]
        var tasks: [(taskID: String, task: PlannedTask)] = []
    }
    private let state = LockedState(State())

    var isEmpty: Bool { state.withLock { $0.tasks.isEmpty } }

    func identified(sessionID: String, video: String) {
        state.withLock { $0.videos[sessionID] = video }
    }

    func created(taskID: String, request: LipSyncRequest) {
        guard let face = request.faceChoose.first else { return }
        state.withLock { s in
            s.tasks.append((taskID, PlannedTask(video: s.videos[request.sessionID] ?? "session \(request.sessionID)",
                                                faceID: face.faceID, soundStartTime: face.soundStartTime,
                                                soundEndTime: face.soundEndTime, soundInsertTime: face.soundInsertTime,
                                                externalTaskID: request.externalTaskID)))
        }
    }

    /// The tasks, with their output length from the (private, non-rendering) service.
    func plan(service: any LipSyncService) async -> Plan {
        var tasks: [PlannedTask] = []
        for (id, var task) in state.withLock({ $0.tasks }) {
            let done = try? await service.wait(for: id, timeout: .seconds(300), firstPoll: .milliseconds(100), onStatus: nil)
            task.outputSeconds = done?.taskResult?.videos.first.flatMap { Double($0.duration) }
            tasks.append(task)
        }
        return Plan(tasks: tasks)
    }
}

/// A value behind a lock (also the CLI's Ctrl-C count, shared with its signal handler).
public final class LockedState<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
