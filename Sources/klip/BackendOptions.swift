import ArgumentParser
import Foundation
import KlingAPI

/// Where commands send their requests. Flags override the environment.
struct BackendOptions: ParsableArguments {
    @Option(name: .long, help: "API base URL (default: KLING_BASE_URL; Kling's own host when credentials are set).")
    var baseURL: String?

    @Option(name: .long, help: "Path prefix: /kling/v1 for a gateway, /v1 for Kling's own API (default: KLING_PREFIX or chosen by host).")
    var prefix: String?

    @Option(name: .long, help: "Embedded emulator only: a directory local videos and audio may come from (repeatable; default: any file you name; klip run --sandbox: the script's folders).")
    var mediaRoot: [String] = []

    @Option(name: .long, help: "Where the embedded emulator and the journal keep their databases and files (default: KLIP_STATE_DIR or ~/.local/state/klip).")
    var stateDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Receive task callbacks on ADDR (host:port, port 0 for any) and wake waits as soon as one arrives; polling still confirms. Creates get this receiver as callback_url unless they name one.",
        valueName: "ADDR"))
    var callbackListen: String?

    @Option(name: .long, help: ArgumentHelp(
        "The public URL Kling should call when ADDR is behind a proxy or NAT (default: http://ADDR/callbacks).", valueName: "URL"))
    var callbackURL: String?

    @Flag(name: .long, help: "Log each request and retry to stderr.")
    var verbose = false

    func makeBackend() throws -> Backend {
        try Backend.resolve(options: self, environment: credentials)
    }
}
