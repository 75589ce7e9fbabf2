import Foundation

/// Where things live under `stateDirectory`. Only `files/` is ever served.
struct StateLayout: Sendable {
    let root: URL

    var database: String { root.appendingPathComponent("klip.sqlite").path }
    /// Served under `/files/`.
    var publicRoot: URL { root.appendingPathComponent("files") }
    var temporary: URL { root.appendingPathComponent("tmp") }

    func sessionFiles(_ id: String) -> URL { publicRoot.appendingPathComponent("sessions/\(id)") }
    func taskFiles(_ id: String) -> URL { publicRoot.appendingPathComponent("tasks/\(id)") }
    func sessionPrivate(_ id: String) -> URL { root.appendingPathComponent("private/sessions/\(id)") }
    func taskPrivate(_ id: String) -> URL { root.appendingPathComponent("private/tasks/\(id)") }

    func create() throws {
        for dir in [publicRoot, temporary, root.appendingPathComponent("private")] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
    }

    /// A fresh scratch directory for one request.
    func scratch() throws -> URL {
        let dir = temporary.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
