import Foundation
import KlingAPI
import NIOCore

/// The task as the journal keeps it (two a create: the create's answer, the final status),
/// written with `WireJSON`: through `JSONEncoder` it was ~3% of `klip run`'s CPU with 1,000
/// tasks. The same JSON in meaning (`JournalJSONTests` holds it to `JSONEncoder`'s); a task
/// carrying Kling's free-form deduction fields goes through `JSONEncoder`.
extension LipSyncTask {
    func journalJSON() throws -> String {
        guard finalUnitDeduction == nil, finalBalanceDeduction == nil else {
            return String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        }
        var json = WireJSON()
        try json.object { (json) throws(KlingError) in
            json.key("task_id")
            json.string(taskID)
            json.key("task_status")
            json.string(taskStatus.rawValue)
            if let taskStatusMsg { json.key("task_status_msg"); json.string(taskStatusMsg) }
            if let taskInfo {
                json.key("task_info")
                try json.object { (json) throws(KlingError) in
                    if let id = taskInfo.externalTaskID { json.key("external_task_id"); json.string(id) }
                }
            }
            if let taskResult {
                json.key("task_result")
                try json.object { (json) throws(KlingError) in
                    json.key("videos")
                    try json.array(taskResult.videos) { (json, video) throws(KlingError) in
                        try json.object { (json) throws(KlingError) in
                            json.key("id"); json.string(video.id)
                            json.key("url"); json.string(video.url)
                            json.key("duration"); json.string(video.duration)
                        }
                    }
                }
            }
            if let createdAt { json.key("created_at"); json.int(Int(createdAt)) }
            if let updatedAt { json.key("updated_at"); json.int(Int(updatedAt)) }
            if let watermarkURL { json.key("watermark_url"); json.string(watermarkURL) }
        }
        return String(buffer: json.buffer)
    }
}
