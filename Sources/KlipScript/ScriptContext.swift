import Foundation
import KlingAPI
import KlipJournal

/// What the bindings' Swift work needs, shared with the tasks it starts.
final class ScriptContext: Sendable {
    let backend: (any ScriptBackend)?
    let paths: PathPolicy
    let scriptName: String
    let diagnostics: @Sendable (String) -> Void
    let progress: Progress
    let sounds = SoundCache()
    let fresh: Bool
    private let services = SingleFlight<any LipSyncService>()

    init(options: ScriptOptions, backend: (any ScriptBackend)?) {
        self.backend = backend
        self.fresh = options.fresh
        self.scriptName = options.scriptName
        self.paths = PathPolicy(options: options)
        let write = options.diagnostics ?? { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        self.diagnostics = write
        let live = options.liveProgress ?? (isatty(2) == 1 && options.diagnostics == nil)
        self.progress = Progress(live: live, write: write)
    }
}

extension ScriptContext {
    /// The run's service, resolved once however many coroutines ask at once: the client
    /// (the first call makes it, and starts the emulator), with the run's journal in front
    /// when the backend keeps one.
    func service() async throws -> any LipSyncService {
        guard let backend else {
            throw ScriptError(kind: .network, message: "no API backend is configured for this run")
        }
        let fresh = self.fresh
        return try await services.value {
            let client = try await backend.client()
            guard let journal = try await backend.journal() else { return client }
            return JournaledClient(client: client, journal: journal, fresh: fresh)
        }
    }
}

/// The sandbox's file rule: only inside the script's folder and the allowed folders.
struct PathPolicy: Sendable {
    let restricted: Bool
    let roots: [String]

    init(options: ScriptOptions) {
        restricted = options.sandbox
        var roots: [String] = []
        switch options.source {
        case let .file(path):
            roots.append(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        case .code:
            roots.append(FileManager.default.currentDirectoryPath)
        }
        roots.append(contentsOf: options.allowedDirectories)
        self.roots = roots.map { Self.resolve($0) }
    }

    /// The absolute, symlink-free form of a path (its existing part resolved).
    static func resolve(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var tail: [String] = []
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" {
            tail.insert(url.lastPathComponent, at: 0)
            url.deleteLastPathComponent()
        }
        var resolved = url.resolvingSymlinksInPath().path
        for part in tail { resolved = (resolved as NSString).appendingPathComponent(part) }
        return resolved
    }

    static func isURL(_ s: String) -> Bool {
        let l = s.lowercased()
        return l.hasPrefix("http://") || l.hasPrefix("https://")
    }

    /// Checks a local path a binding is about to read or write; URLs pass.
    func check(_ path: String, field: String) throws(ScriptError) -> String {
        if Self.isURL(path) { return path }
        var local = path
        if local.hasPrefix("file://") { local = URL(string: local)?.path ?? String(local.dropFirst(7)) }
        guard restricted else { return local }
        let resolved = Self.resolve(local)
        for root in roots where resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            return local
        }
        throw ScriptError(kind: .validation,
                          message: "\(path) is outside the folders this sandboxed script may use (its own folder and --allow-dir folders)",
                          field: field)
    }
}
