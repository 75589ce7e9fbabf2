import ArgumentParser
import Foundation
import KlipJournal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "What scripts paid for: lip-sync requests by fingerprint, their tasks and downloads.",
        subcommands: [List.self, Show.self, Prune.self],
        defaultSubcommand: List.self)

    struct Location: ParsableArguments {
        @Option(name: .long, help: "The journal's folder (default: KLIP_STATE_DIR or ~/.local/state/klip).")
        var stateDir: String?

        func open() throws -> Journal {
            let path = (stateDir ?? Backend.defaultStateDirectory()) + "/journal.sqlite"
            return try Journal(path: path, backend: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Entries, newest first.")
        @Option(name: .long, help: "How many entries.") var limit = 50
        @Flag(name: .long, help: "Print the entries as JSON.") var json = false
        @OptionGroup var location: Location

        func run() async throws {
            let entries = try await location.open().list(limit: limit)
            if json { return try Output.json(entries) }
            if entries.isEmpty { return print("the journal is empty") }
            Output.table(["task_id", "status", "external_task_id", "updated", "downloaded", "what"], entries.map {
                [$0.taskID ?? "-", $0.status, $0.externalTaskID, Output.time($0.updatedAt), $0.downloadedPath ?? "-", $0.summary]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One entry, by task id, external id or fingerprint.")
        @Argument(help: "task_id, external_task_id or fingerprint.") var id: String
        @OptionGroup var location: Location

        func run() async throws {
            guard let entry = try await location.open().find(id) else {
                throw CLIError(message: "no journal entry for \(id)")
            }
            try Output.json(entry)
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Delete finished entries older than --days (pending ones are kept: they may be billed tasks).")
        @Option(name: .long, help: "Keep entries updated within this many days.") var days = 30
        @OptionGroup var location: Location

        func run() async throws {
            let before = Int64(Date().addingTimeInterval(-Double(days) * 86400).timeIntervalSince1970 * 1000)
            let removed = try await location.open().prune(before: before)
            print("pruned \(removed) entries")
        }
    }
}
