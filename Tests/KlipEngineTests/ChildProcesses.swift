import Foundation

/// Readiness seen from outside: true once a child of this test process runs `tool` with
/// `path` among its arguments, so a cancel lands while the work runs rather than after a
/// guessed delay. False when none appeared within `limit` (a bound no load reaches).
func childStarted(_ tool: String, on path: String, limit: Duration = .seconds(300)) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if runningChildren().contains(where: { ($0.first as NSString?)?.lastPathComponent == tool && $0.contains(path) }) {
            return true
        }
        // A poll of the condition, not a guess at how long the work takes.
        try? await Task.sleep(for: .milliseconds(5))
    }
    return false
}

/// The argument vectors of this process's children, from /proc.
func runningChildren() -> [[String]] {
    let me = getpid()
    let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
    return pids.compactMap { pid in
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == me,
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        return cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
