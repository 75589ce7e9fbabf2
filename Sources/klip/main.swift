import ArgumentParser
import Foundation

// Credentials are read once and removed from the environment before anything else runs,
// so no child process and no script's os.getenv can see them.
let credentials = EnvironmentCredentials.captureAndScrub()
setvbuf(stdout, nil, _IOLBF, 0)

do {
    var command = try Klip.parseAsRoot()
    if var async = command as? any AsyncParsableCommand {
        try await async.run()
    } else {
        try command.run()
    }
    exit(0)
} catch {
    exit(CLIExit.report(error))
}
