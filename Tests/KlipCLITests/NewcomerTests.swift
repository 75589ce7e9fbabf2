import Foundation
import KlipMedia
import Testing

/// Issue 10 item 7: klip as a new user meets it, from a folder of their own, with typos,
/// running the same command twice.
@Suite(.serialized) struct NewcomerTests {
    /// A runner in a fresh folder outside the repository, its state where $HOME says.
    func newcomer() throws -> (klip: CLIRunner, home: String) {
        var klip = try CLIRunner()
        let home = klip.stateDir + "/home", work = klip.stateDir + "/work"
        for dir in [home, work] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        klip.environment["KLIP_STATE_DIR"] = nil
        klip.environment["XDG_STATE_HOME"] = nil
        klip.environment["HOME"] = home
        klip.directory = work
        return (klip, home)
    }

    @Test func helpVersionAndAMistypedOptionAreAnsweredAsSuch() async throws {
        let (klip, _) = try newcomer()
        for flag in ["--help", "-h"] {
            let help = try await klip("run", flag)
            #expect(help.status == 0, "\(flag): \(help.stderr)")
            #expect(help.stdout.contains("--sandbox"), "\(flag): \(help.stdout)")
            #expect(!help.stderr.contains("cannot read"))
        }
        let version = try await klip("--version")
        #expect(version.status == 0)
        #expect(version.stdout.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+\n$"#, options: .regularExpression) != nil, "\(version.stdout)")
        let typo = try await klip("run", "--sandbx", "script.lua")
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown option '--sandbx'"), "\(typo.stderr)")
        #expect(typo.stderr.contains("did you mean '--sandbox'"), "\(typo.stderr)")
        #expect(!typo.stderr.contains("cannot read"))
        // After SCRIPT, options are the script's.
        let passed = try await klip("run", "-e", "print(arg[1])", "--sandbx")
        #expect(passed.status == 0, "\(passed.stderr)")
        #expect(passed.stdout == "--sandbx\n")
        let command = try await klip("identfy", "clip.mp4")
        #expect(command.status == 2)
        #expect(command.stderr.contains("unknown command 'identfy'; did you mean 'identify'?"), "\(command.stderr)")
        let unknown = try await klip("render", "clip.mp4")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("(commands: run, identify,"), "\(unknown.stderr)")
        #expect(try await klip("help", "run").stdout.contains("--sandbox"))
    }

    @Test func aRerunFromAnotherFolderReusesTheTaskAndStillDownloads() async throws {
        let (klip, home) = try newcomer()
        let demo = CLIRunner.root.appendingPathComponent("scripts/examples/demo.lua").path
        let first = try await klip("run", demo, CLIRunner.absoluteMedia("one-face.mp4"), CLIRunner.absoluteMedia("speech.wav"), "a.mp4")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("state: \(home)/.local/state/klip"), "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/.local/state/klip/journal.sqlite"))
        // A new process, a new emulator port: the journal's task is reused and its video
        // is served again from the state folder.
        let second = try await klip("run", demo, CLIRunner.absoluteMedia("one-face.mp4"), CLIRunner.absoluteMedia("speech.wav"), "b.mp4")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("is in the journal"), "\(second.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: klip.directory + "/a.mp4"))
        let b = try Data(contentsOf: URL(fileURLWithPath: klip.directory + "/b.mp4"))
        #expect(a.count > 10_000)
        #expect(a == b)
    }

    @Test func printedAddressesAreFilesThatOutliveTheCommand() async throws {
        let (klip, home) = try newcomer()
        let identified = try await klip("identify", CLIRunner.absoluteMedia("one-face.mp4"), "--json")
        #expect(identified.status == 0, "\(identified.stderr)")
        let session = try JSONDecoder().decode(IdentifyJSON.self, from: Data(identified.stdout.utf8))
        let face = try #require(session.face_data.first)
        let url = try #require(URL(string: face.face_image))
        #expect(url.isFileURL, "\(face.face_image)")
        #expect(url.path.hasPrefix(home + "/.local/state/klip/files/"), "\(url.path)")
        // The command has ended, its emulator with it; the crop is still there.
        #expect(try Data(contentsOf: url).starts(with: [0xFF, 0xD8]))
        let table = try await klip("identify", CLIRunner.absoluteMedia("one-face.mp4"))
        #expect(table.stdout.contains("file://\(home)/.local/state/klip/files/sessions/"), "\(table.stdout)")
        #expect(!table.stdout.contains("http://"))
    }

    @Test func refusalsNameTheFlagThatAllowsTheFile() async throws {
        let (klip, _) = try newcomer()
        let clip = CLIRunner.absoluteMedia("one-face.mp4")
        let narrowed = try await klip("identify", "--media-root", klip.directory, clip)
        #expect(narrowed.status == 1)
        #expect(narrowed.stderr.contains("--media-root"), "\(narrowed.stderr)")
        #expect(narrowed.stderr.contains(clip))
        #expect(!narrowed.stderr.contains("Kling error"), "\(narrowed.stderr)")

        let script = klip.directory + "/faces.lua"
        try "print(#identify(arg[1]).faces)".write(toFile: script, atomically: true, encoding: .utf8)
        let sandboxed = try await klip("run", "--sandbox", script, clip)
        #expect(sandboxed.status == 1)
        #expect(sandboxed.stderr.contains("--allow-dir"), "\(sandboxed.stderr)")
        #expect(!sandboxed.stderr.contains("Kling error"), "\(sandboxed.stderr)")
        let allowed = try await klip("run", "--sandbox", "--allow-dir", CLIRunner.root.appendingPathComponent("media").path, script, clip)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout == "1\n")
        // Without --sandbox, a file named on the command line is the script's to use.
        let open = try await klip("run", script, clip)
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout == "1\n")
    }

    @Test func aBrokenJournalIsNamedNotCalledANetworkError() async throws {
        let klip = try CLIRunner()
        let journal = klip.stateDir + "/journal.sqlite"
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: journal))
        let run = try await klip("run", "-e", "identify(arg[1])", CLIRunner.media("one-face.mp4"))
        #expect(run.status == 1)
        #expect(run.stderr.contains(journal), "\(run.stderr)")
        #expect(run.stderr.contains("--no-journal"), "\(run.stderr)")
        #expect(!run.stderr.contains("network error"), "\(run.stderr)")
        let without = try await klip("run", "--no-journal", "-e", "print(#identify(arg[1]).faces)", CLIRunner.media("one-face.mp4"))
        #expect(without.status == 0, "\(without.stderr)")
    }

    /// Issue 9: the kernel's copy of the environment is what a script can read; the keys
    /// (Kling's and AWS's) must not be in it, nor in libc's, nor in a child's, while the
    /// variables beside them stay.
    @Test func aScriptCannotFindTheKeysInProcSelfEnviron() async throws {
        let klip = try CLIRunner()
        let secret = "klip-test-SECRET-\(UUID().uuidString)", aws = "klip-test-AWS-\(UUID().uuidString)"
        let script = """
        local f = assert(io.open("/proc/self/environ", "rb")); local kernel = f:read("a"); f:close()
        local p = assert(io.popen("env")); local child = p:read("a"); p:close()
        local function seen(s) return kernel:find(s, 1, true) ~= nil, child:find(s, 1, true) ~= nil end
        print(seen(arg[1])); print(seen(arg[2])); print(seen("KLIP_TEST_NEIGHBOUR=kept"))
        print(os.getenv("KLING_API_KEY"), os.getenv("AWS_SECRET_ACCESS_KEY"), kling.backend)
        """
        let run = try await klip("run", "-e", script, secret, aws, env: [
            "KLING_API_KEY": secret, "KLING_BASE_URL": "http://127.0.0.1:9", "AWS_SECRET_ACCESS_KEY": aws,
            "KLIP_TEST_NEIGHBOUR": "kept",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "false\tfalse\nfalse\tfalse\ntrue\ttrue\nnil\tnil\tlocal\n", "\(run.stdout)")
        #expect(!run.stderr.contains(secret) && !run.stderr.contains(aws))
    }
}
