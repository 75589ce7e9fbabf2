import ArgumentParser
import Foundation
import KlingAPI
import KlipJournal
import KlipMedia

/// Exit statuses: 0 success, 1 failure, 2 usage; 130 after Ctrl-C.
enum CLIExit {
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as KlingError:
            stderrLine("klip: \(error.description)")
            return error.kind == .cancelled ? 130 : 1
        case let error as CLIError:
            stderrLine("klip: \(error.message)")
            return error.status
        case let error as JournalError:
            stderrLine("klip: \(error.description)")
            return 1
        case let error as MediaError:
            stderrLine("klip: \(error.description)")
            return 1
        default:
            let code = Klip.exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's own clean exits.
                print(Klip.fullMessage(for: error))
                return 0
            }
            let message = Klip.fullMessage(for: error)
            if code == .validationFailure {
                stderrLine(message)
                return 2
            }
            stderrLine(message.isEmpty ? "klip: \(error)" : "klip: \(message)")
            return code == .failure ? 1 : code.rawValue
        }
    }
}

/// An error of the CLI's own, with the status it exits with.
struct CLIError: Error {
    var message: String
    var status: Int32 = 1
    static func usage(_ message: String) -> CLIError { CLIError(message: message, status: 2) }
}

func stderrLine(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
