import Foundation
import KlingAPI

/// How commands print: `--json` gives the API's `data` object exactly; otherwise a table.
enum Output {
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        for row in all {
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            print(line)
        }
    }

    static func seconds(_ ms: Int) -> String { String(format: "%.2f s", Double(ms) / 1000) }

    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "-" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(ms) / 1000))
    }

    static func describe(_ task: LipSyncTask) {
        var rows: [[String]] = [
            ["task_id", task.taskID],
            ["status", task.taskStatus.rawValue],
        ]
        if let msg = task.taskStatusMsg, !msg.isEmpty { rows.append(["message", msg]) }
        if let ext = task.externalTaskID { rows.append(["external_task_id", ext]) }
        rows.append(["created", time(task.createdAt)])
        rows.append(["updated", time(task.updatedAt)])
        for (i, video) in (task.taskResult?.videos ?? []).enumerated() {
            rows.append(["video \(i + 1)", "\(video.url) (\(video.duration) s)"])
        }
        for row in rows { print(row[0].padding(toLength: 18, withPad: " ", startingAt: 0) + row[1]) }
    }
}
