import Foundation
import KlingAPI

/// The tasks this run created and their last status: a live line on a terminal, plain
/// log lines otherwise, and the list printed when the run is interrupted.
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private let live: Bool
    private let write: @Sendable (String) -> Void
    private var order: [String] = []
    private var tasks: [String: CreatedTask] = [:]
    private var lineShown = false
    private let started = ContinuousClock.now

    var isLive: Bool { live }

    init(live: Bool, write: @escaping @Sendable (String) -> Void) {
        self.live = live
        self.write = write
    }

    func created(taskID: String, externalTaskID: String?, status: TaskStatus) {
        lock.withLock {
            if tasks[taskID] == nil { order.append(taskID) }
            tasks[taskID] = CreatedTask(taskID: taskID, externalTaskID: externalTaskID, lastStatus: status)
        }
        changed(taskID)
    }

    func update(taskID: String, status: TaskStatus) {
        let isNew: Bool = lock.withLock {
            guard var t = tasks[taskID] else { return false }
            if t.lastStatus == status { return false }
            t.lastStatus = status
            tasks[taskID] = t
            return true
        }
        if isNew { changed(taskID) }
    }

    var created: [CreatedTask] { lock.withLock { order.compactMap { tasks[$0] } } }

    private func changed(_ taskID: String) {
        if live { redraw(); return }
        guard let t = lock.withLock({ tasks[taskID] }) else { return }
        let ext = t.externalTaskID.map { " (\($0))" } ?? ""
        write("klip: task \(t.taskID)\(ext): \(t.lastStatus)")
    }

    /// Clears the live line before other output.
    func clear() {
        guard live else { return }
        let shown = lock.withLock { () -> Bool in defer { lineShown = false }; return lineShown }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func redraw() {
        guard live else { return }
        let (line, pending) = lock.withLock { () -> (String, Int) in
            var counts: [TaskStatus: Int] = [:]
            for t in tasks.values { counts[t.lastStatus, default: 0] += 1 }
            let pending = tasks.values.filter { !$0.lastStatus.isFinal }.count
            let parts = [TaskStatus.submitted, .processing, .succeed, .failed].compactMap { s in counts[s].map { "\($0) \(s)" } }
            let elapsed = Int((ContinuousClock.now - started) / .seconds(1))
            let clock = String(format: "%d:%02d", elapsed / 60, elapsed % 60)
            return ("klip: \(tasks.count) task\(tasks.count == 1 ? "" : "s"): " + parts.joined(separator: ", ") + " · \(clock)", pending)
        }
        if pending == 0 { clear(); return }
        lock.withLock { lineShown = true }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
}
