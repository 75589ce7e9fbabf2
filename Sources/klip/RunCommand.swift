import ArgumentParser
import Dispatch
import Foundation
import KlingAPI
import KlipJournal
import KlipScript
import KlipUpload

/// `klip run SCRIPT [ARGS...]` and `klip run -e CODE [ARGS...]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua 5.4 script with the identify, lipsync and wait bindings.",
        discussion: """
        The script gets `arg` as the lua interpreter sets it (arg[0] the script, arg[1...] \
        the arguments). Everything after SCRIPT goes to the script, options included.
        Exit status: 0 success, 1 an uncaught error or a limit, 130 interrupted (Ctrl-C).
        """
    )

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .customShort("e"), help: ArgumentHelp("Run CODE instead of a script file.", valueName: "CODE"))
    var code: String?

    @Flag(help: "Restricted globals (no io, os.execute, package, debug, string.dump, collectgarbage); files only in the script's folder and --allow-dir folders; memory and CPU limits on.")
    var sandbox = false

    @Option(name: .customLong("allow-dir"), help: ArgumentHelp("A folder a sandboxed script may also use (repeatable).", valueName: "DIR"))
    var allowDirs: [String] = []

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Cap on the Lua heap: bytes or K/M/G (0 = none; 256M under --sandbox).", valueName: "SIZE"))
    var memoryLimit: String?

    @Option(name: .customLong("cpu-limit"), help: ArgumentHelp("Seconds of Lua execution (0 = none; 60 under --sandbox).", valueName: "SECONDS"))
    var cpuLimit: Double?

    @Flag(help: "Ignore the journal's recorded results: identify again and create new tasks (recorded anew).")
    var fresh = false

    @Flag(name: .customLong("no-journal"), help: "Keep no journal: every lipsync creates a task, and a rerun pays again.")
    var noJournal = false

    @Flag(help: "Print the tasks the script would create, and their totals, without sending or uploading anything (a private emulator that renders nothing).")
    var plan = false

    @Flag(help: "With --plan: print the plan as JSON.")
    var json = false

    @Flag(name: .customLong("no-init"), help: "Do not run the init file (KLIP_INIT, or $XDG_CONFIG_HOME/klip/init.lua).")
    var noInit = false

    @Option(help: ArgumentHelp("Upload local videos here when the API is not the embedded emulator (default: KLIP_UPLOAD).", valueName: "s3://BUCKET/PREFIX"))
    var upload: String?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The script, then its arguments.", valueName: "SCRIPT [ARGS...]"))
    var scriptAndArguments: [String] = []

    func validate() throws {
        if code == nil && scriptAndArguments.isEmpty {
            throw ValidationError("give a SCRIPT to run, or -e CODE")
        }
        // Everything after SCRIPT is the script's, so an option klip does not know arrives
        // here as the script's name: answer it as the option it was meant to be.
        if code == nil, let first = scriptAndArguments.first {
            if first == "--help" || first == "-h" || first == "-help" { throw CleanExit.helpRequest(self) }
            if first.hasPrefix("-"), first != "-" { throw ValidationError(OptionSuggestion.unknown(first, in: Self.self)) }
        }
        if json && !plan { throw ValidationError("--json goes with --plan") }
        if let memoryLimit, ScriptOptions.parseSize(memoryLimit) == nil {
            throw ValidationError("--memory-limit: '\(memoryLimit)' is not a size (bytes, or a number with K, M or G)")
        }
        if let cpuLimit, !(cpuLimit >= 0 && cpuLimit.isFinite) {
            throw ValidationError("--cpu-limit: must be a number of seconds >= 0")
        }
        for dir in allowDirs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--allow-dir: \(dir) is not a folder")
            }
        }
    }

    func run() async throws {
        let source: ScriptOptions.Source
        var arguments = scriptAndArguments
        if let code {
            source = .code(code)
        } else {
            source = .file(arguments.removeFirst())
        }
        var options = ScriptOptions(
            source: source, arguments: arguments, sandbox: sandbox, allowedDirectories: allowDirs,
            memoryLimit: memoryLimit.flatMap(ScriptOptions.parseSize), cpuLimit: cpuLimit, fresh: fresh
        )
        options.planning = plan
        if !noInit {
            do { options.initFile = try InitFile.resolve() } catch { throw CLIError.usage("KLIP_INIT: " + error.message) }
        }
        // Resolved now, started only when the first binding needs the API. Without
        // --sandbox the script may read any file anyway, so the embedded emulator reads
        // every file the script names; a sandboxed script's emulator keeps to its folders.
        var backendOptions = backendOptions
        if backendOptions.mediaRoot.isEmpty {
            backendOptions.mediaRoot = sandbox ? sandboxRoots(source) : ["/"]
        }
        let backend = plan ? try backendOptions.makePlanningBackend() : try backendOptions.makeBackend()
        if !plan {
            do {
                let settings = try S3Settings.resolve(destination: upload, environment: awsEnvironment)
                options.builtInUpload = settings != nil
                await backend.setUploads(settings)
            } catch {
                throw CLIError.usage(error.description)
            }
        }
        let runner = ScriptRunner(options: options, backend: noJournal || plan ? UnjournaledBackend(backend: backend) : backend)

        // Ctrl-C: the first stops the script cleanly (close handlers, task report), a second
        // one exits at once.
        signal(SIGINT, SIG_IGN)
        let interrupts = LockedState(0)
        let source_ = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source_.setEventHandler {
            let n = interrupts.withLock { count -> Int in count += 1; return count }
            if n == 1 { runner.interrupt() } else { Foundation.exit(130) }
        }
        source_.resume()
        defer {
            source_.cancel()
            signal(SIGINT, SIG_DFL)
        }

        let result = await runner.run()
        await backend.shutdown()
        if plan {
            try? FileManager.default.removeItem(atPath: backend.stateDirectory)
            if result.exitStatus == 0, let made = result.plan { try printPlan(made) }
        }
        // The runner has printed its own report; exit with its status (1, or 130 after Ctrl-C).
        if result.exitStatus != 0 { Foundation.exit(result.exitStatus) }
    }
}

extension RunCommand {
    /// The working directory, the script's folder and the --allow-dir folders.
    func sandboxRoots(_ source: ScriptOptions.Source) -> [String] {
        var roots = [FileManager.default.currentDirectoryPath]
        if case let .file(path) = source, path != "-" {
            roots.append(URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path)
        }
        return roots + allowDirs
    }
}

/// The bindings take the client lazily: an empty script never starts the emulator.
extension Backend: ScriptBackend {
    func client() async throws -> KlingClient { try await makeClient() }
    func callbackURL() async -> String? { callbackReceiverURL }
    func journal() async throws -> Journal? {
        do { return try openJournal() } catch let error as JournalError {
            // The script sees the file named as the field, not a network failure.
            throw ScriptError(kind: .validation, message: error.advice, field: error.path)
        }
    }
}

/// The backend as a script sees it with `--no-journal`: every create is new.
struct UnjournaledBackend: ScriptBackend {
    let backend: Backend
    var name: String { backend.name }
    func client() async throws -> KlingClient { try await backend.makeClient() }
    func callbackURL() async -> String? { await backend.callbackReceiverURL }
    func uploader() async throws -> ContentUploader? { try await backend.uploader() }
    var localVideos: LocalVideoRoute { backend.localVideos }
}

