import ArgumentParser

// Placeholder until the Lua host lands: `klip run` is implemented in KlipScript.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a Lua script.", shouldDisplay: false)
    func run() async throws { throw CLIError(message: "klip run is not built yet") }
}
