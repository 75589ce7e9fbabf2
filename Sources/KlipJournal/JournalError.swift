import Foundation

/// A journal file klip cannot use (truncated, not SQLite, another program's database).
/// It names the file: the fix is to move that file, and nothing else is wrong.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// SQLite's own words, e.g. "file is not a database".
    public var reason: String

    public var advice: String {
        "not a journal klip can read (\(reason)); move it aside to start a new journal, or run with --no-journal"
    }

    public var description: String { "journal \(path): \(advice)" }
}
