import ArgumentParser
import Foundation
import KlipUpload

// Credentials are read once and removed from the environment before anything else runs,
// so no child process and no script's os.getenv can see them.
let credentials = EnvironmentCredentials.captureAndScrub()
let awsEnvironment = AWSEnvironment.captureAndScrub()
// A script can read /proc/self/environ, which unsetenv leaves as exec made it.
EnvironmentBlock.erase(EnvironmentCredentials.secretNames + AWSEnvironment.secretNames)

/// Parses and runs a command; the exit status follows CLIExit's rules.
func runKlip() async -> Int32 {
    do {
        if let first = CommandLine.arguments.dropFirst().first, let message = OptionSuggestion.unknownCommand(first) {
            throw CLIError.usage(message)
        }
        var command = try Klip.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        return 0
    } catch {
        return CLIExit.report(error)
    }
}

exit(await runKlip())
