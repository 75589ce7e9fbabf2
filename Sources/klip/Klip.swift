import ArgumentParser

struct Klip: AsyncParsableCommand {
    /// The release, as `klip --version` prints it and the client's User-Agent names it.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "klip",
        abstract: "Script lip sync: Kling's advanced lip-sync API, a Lua host, and a local emulator.",
        discussion: """
        With KLING_API_KEY (or KLING_ACCESS_KEY + KLING_SECRET_KEY) set, commands talk to Kling \
        (KLING_BASE_URL / --base-url and --prefix choose a gateway). Without credentials they start \
        the local emulator in-process on a loopback port, free and offline.
        """,
        version: Klip.version,
        subcommands: [
            RunCommand.self, IdentifyCommand.self, LipSyncCommand.self, TaskCommand.self,
            WaitCommand.self, TasksCommand.self, JournalCommand.self, ServeCommand.self, MeasureCommand.self, DubCommand.self,
        ]
    )
}
