import Foundation
import KlingAPI
import KlipEngine

/// Store records as Kling's wire types, with absolute URLs on `base` (`http://host:port`).
enum WireMapping {
    static func task(_ t: TaskRecord, base: String) -> LipSyncTask {
        let status = t.status
        var result: TaskResult?
        if status == .succeed, let ms = t.resultDurationMs {
            result = TaskResult(videos: [TaskVideo(id: t.id, url: "\(base)/files/tasks/\(t.id)/output.mp4",
                                                   duration: seconds(ms))])
        }
        return LipSyncTask(taskID: t.id, taskStatus: status, taskStatusMsg: t.statusMsg,
                           taskInfo: TaskInfo(externalTaskID: t.externalTaskID), taskResult: result,
                           createdAt: t.createdAt, updatedAt: t.updatedAt)
    }

    static func faces(_ session: SessionRecord, base: String) -> [FaceData] {
        session.tracks.map { track in
            FaceData(faceID: String(track.index),
                     faceImage: "\(base)/files/sessions/\(session.id)/face-\(track.index).jpg",
                     startTime: track.startMs, endTime: track.endMs)
        }
    }

    /// "5", "5.04", "12.345": seconds as Kling writes them, as a string.
    static func seconds(_ ms: Int) -> String {
        var text = String(format: "%.3f", Double(ms) / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
