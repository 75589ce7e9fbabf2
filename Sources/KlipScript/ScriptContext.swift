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
    /// What a planned run identified and created (`klip run --plan`); nil otherwise.
    let plan: PlanLog?

    init(options: ScriptOptions, backend: (any ScriptBackend)?) {
        self.plan = options.planning ? PlanLog() : nil
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
