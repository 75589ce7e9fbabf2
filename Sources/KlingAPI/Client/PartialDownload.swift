import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden file a download streams into before it is moved into place:
/// `.NAME.part-PID-RANDOM` beside the destination. The PID lets the next download of the
/// same destination remove what a killed run (`kill -9`, a power cut) left behind, without
/// touching the part file of a download still running in another process.
enum PartialDownload {
    static func path(for destination: URL, pid: Int32 = getpid()) -> URL {
        destination.deletingLastPathComponent()
            .appendingPathComponent("\(prefix(destination))\(pid)-\(UUID().uuidString.prefix(8))")
    }

    /// Removes part files for `destination` whose process is gone; returns how many.
    @discardableResult
    static func removeStale(for destination: URL) -> Int {
        let folder = destination.deletingLastPathComponent()
        let start = prefix(destination)
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(start) {
            let rest = name.dropFirst(start.count)
            // Before the PID was in the name (`.NAME.part-RANDOM`), a part file had no owner to ask.
            let owner = rest.split(separator: "-").first.flatMap { Int32($0) }
            if let owner, isAlive(owner) { continue }
            if (try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))) != nil { removed += 1 }
        }
        return removed
    }

    private static func prefix(_ destination: URL) -> String { ".\(destination.lastPathComponent).part-" }

    private static func isAlive(_ pid: Int32) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }
}
