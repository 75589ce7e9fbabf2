import Foundation

/// A task's status. A struct, not an enum, so a status Kling adds later decodes.
public struct TaskStatus: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let submitted = TaskStatus(rawValue: "submitted")
    public static let processing = TaskStatus(rawValue: "processing")
    public static let succeed = TaskStatus(rawValue: "succeed")
    public static let failed = TaskStatus(rawValue: "failed")

    /// `succeed` or `failed`: the task will not change again.
    public var isFinal: Bool { self == .succeed || self == .failed }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

public struct TaskInfo: Codable, Sendable, Equatable {
    public var externalTaskID: String?
    public init(externalTaskID: String? = nil) { self.externalTaskID = externalTaskID }
    enum CodingKeys: String, CodingKey { case externalTaskID = "external_task_id" }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        externalTaskID = try c.decodeIDIfPresent(forKey: .externalTaskID)
    }
}

public struct TaskVideo: Codable, Sendable, Equatable {
    public var id: String
    public var url: String
    /// Seconds, as a string, as the API gives it.
    public var duration: String

    public init(id: String, url: String, duration: String) {
        self.id = id
        self.url = url
        self.duration = duration
    }

    enum CodingKeys: String, CodingKey { case id, url, duration }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeID(forKey: .id)
        url = try c.decode(String.self, forKey: .url)
        if let s = try? c.decode(String.self, forKey: .duration) { duration = s }
        else if let d = try? c.decode(Double.self, forKey: .duration) { duration = String(d) }
        else { duration = "" }
    }
}

public struct TaskResult: Codable, Sendable, Equatable {
    public var videos: [TaskVideo]
    public init(videos: [TaskVideo]) { self.videos = videos }
}

/// A lip-sync task, as create, query, list and callbacks give it.
public struct LipSyncTask: Codable, Sendable, Equatable {
    public var taskID: String
    public var taskStatus: TaskStatus
    public var taskStatusMsg: String?
    public var taskInfo: TaskInfo?
    public var taskResult: TaskResult?
    /// ms since the epoch
    public var createdAt: Int64?
    /// ms since the epoch
    public var updatedAt: Int64?
    /// Kling's own API only.
    public var watermarkURL: String?
    public var finalUnitDeduction: JSONValue?
    public var finalBalanceDeduction: JSONValue?

    public init(taskID: String, taskStatus: TaskStatus, taskStatusMsg: String? = nil,
                taskInfo: TaskInfo? = nil, taskResult: TaskResult? = nil,
                createdAt: Int64? = nil, updatedAt: Int64? = nil, watermarkURL: String? = nil,
                finalUnitDeduction: JSONValue? = nil, finalBalanceDeduction: JSONValue? = nil) {
        self.taskID = taskID
        self.taskStatus = taskStatus
        self.taskStatusMsg = taskStatusMsg
        self.taskInfo = taskInfo
        self.taskResult = taskResult
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.watermarkURL = watermarkURL
        self.finalUnitDeduction = finalUnitDeduction
        self.finalBalanceDeduction = finalBalanceDeduction
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case taskStatus = "task_status"
        case taskStatusMsg = "task_status_msg"
        case taskInfo = "task_info"
        case taskResult = "task_result"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case watermarkURL = "watermark_url"
        case finalUnitDeduction = "final_unit_deduction"
        case finalBalanceDeduction = "final_balance_deduction"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try c.decodeID(forKey: .taskID)
        taskStatus = try c.decode(TaskStatus.self, forKey: .taskStatus)
        taskStatusMsg = try c.decodeIfPresent(String.self, forKey: .taskStatusMsg)
        taskInfo = try c.decodeIfPresent(TaskInfo.self, forKey: .taskInfo)
        taskResult = try c.decodeIfPresent(TaskResult.self, forKey: .taskResult)
        createdAt = try c.decodeMillisIfPresent(forKey: .createdAt)
        updatedAt = try c.decodeMillisIfPresent(forKey: .updatedAt)
        watermarkURL = try c.decodeIfPresent(String.self, forKey: .watermarkURL)
        finalUnitDeduction = try c.decodeIfPresent(JSONValue.self, forKey: .finalUnitDeduction)
        finalBalanceDeduction = try c.decodeIfPresent(JSONValue.self, forKey: .finalBalanceDeduction)
    }

    public var externalTaskID: String? { taskInfo?.externalTaskID }
}
