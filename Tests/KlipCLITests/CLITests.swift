import Foundation
import KlipMedia
import Testing

struct IdentifyJSON: Decodable {
    struct Face: Decodable { var face_id: String; var face_image: String; var start_time: Int; var end_time: Int }
    var session_id: String
    var face_data: [Face]
}

struct TaskJSON: Decodable {
    struct Result: Decodable { var videos: [Video] }
    struct Video: Decodable { var id: String; var url: String; var duration: String }
    var task_id: String
    var task_status: String
    var task_status_msg: String?
    var task_result: Result?
}

@Suite(.serialized) struct CLITests {
    @Test func usageErrorsExitTwoAndHelpExitsZero() async throws {
        let klip = try CLIRunner()
        let help = try await klip("--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("identify"))
        let missing = try await klip("lipsync", "--session", "s")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--face"))
        let unknown = try await klip("frobnicate")
        #expect(unknown.status == 2)
    }

    @Test func aScriptFromStandardInputRunsWhole() async throws {
        // Over 64 KiB, so it takes several reads: `klip run -` must read to the end.
        let padding = String(repeating: "-- padding to make the script long\n", count: 3000)
        let script = padding + "print('from stdin', arg[1], select('#', ...))\n"
        let klip = try CLIRunner()
        let r = try await klip.run(["run", "-", "hello"], stdin: Data(script.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "from stdin\thello\t1\n", "\(r.stdout)")
    }

    @Test func identifyLipsyncWaitAndDownloadThroughTheEmbeddedEmulator() async throws {
        let klip = try CLIRunner()
        let identified = try await klip("identify", CLIRunner.media("one-face.mp4"), "--json")
        #expect(identified.status == 0, "\(identified.stderr)")
        #expect(identified.stderr.contains("local emulator at http://127.0.0.1:"))
        let session = try JSONDecoder().decode(IdentifyJSON.self, from: Data(identified.stdout.utf8))
        #expect(session.face_data.count == 1)
        let face = try #require(session.face_data.first)
        #expect(face.face_id == "0")
        #expect(face.start_time <= 100)
        #expect(face.end_time >= 9900)

        let out = klip.stateDir + "/out.mp4"
        let created = try await klip("lipsync", "--session", session.session_id, "--face", face.face_id,
                                     "--audio", CLIRunner.media("speech.wav"), "--start", "0", "--end", "3000",
                                     "--insert", "1000", "--original-volume", "0.5", "--wait", "--out", out, "--json")
        #expect(created.status == 0, "\(created.stderr)")
        let task = try JSONDecoder().decode(TaskJSON.self, from: Data(created.stdout.utf8))
        #expect(task.task_status == "succeed")
        #expect(task.task_result?.videos.count == 1)
        let info = try await MediaProbe.probe(out)
        let input = try await MediaProbe.probe(CLIRunner.root.appendingPathComponent(CLIRunner.media("one-face.mp4")).path)
        #expect(abs(info.durationMs - input.durationMs) <= 80)
        #expect(info.audio != nil)

        // The task is persisted: a new process (a new embedded emulator) still knows it.
        let queried = try await klip("task", task.task_id, "--json")
        #expect(queried.status == 0, "\(queried.stderr)")
        #expect(try JSONDecoder().decode(TaskJSON.self, from: Data(queried.stdout.utf8)).task_status == "succeed")
        let listed = try await klip("tasks", "--json")
        let tasks = try JSONDecoder().decode([TaskJSON].self, from: Data(listed.stdout.utf8))
        #expect(tasks.map(\.task_id).contains(task.task_id))
        let table = try await klip("tasks")
        #expect(table.stdout.contains("task_id"))
        #expect(table.stdout.contains(task.task_id))
    }

    @Test func aBrokenRuleIsReportedWithItsFieldBeforeAnythingIsSent() async throws {
        let klip = try CLIRunner()
        let result = try await klip("lipsync", "--session", "nope", "--face", "0", "--audio", CLIRunner.media("speech.wav"),
                                    "--start", "0", "--end", "1500", "--insert", "0")
        #expect(result.status == 1)
        #expect(result.stderr.contains("face_choose[0].sound_end_time"))
        // Nothing was sent, so the emulator was never started.
        #expect(!result.stderr.contains("local emulator"))
    }

    @Test func aMissingVideoNamesTheFile() async throws {
        let klip = try CLIRunner()
        let result = try await klip("identify", "media/does-not-exist.mp4")
        #expect(result.status == 1)
        #expect(result.stderr.contains("does-not-exist.mp4"))
    }

    @Test func serveWithAKeyAndAClientWithTheWrongKeyNeverPrintsTheSecret() async throws {
        let klip = try CLIRunner()
        let server = try ServeProcess(arguments: ["serve", "--port", "0", "--api-key", "right-key", "--state-dir", klip.stateDir + "/serve"],
                                      environment: klip.environment)
        defer { server.stop() }
        let url = try await server.baseURL()
        let secret = "wrong-key-SECRET-1234567"
        let denied = try await klip("tasks", env: ["KLING_BASE_URL": url, "KLING_API_KEY": secret])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("1002"))
        #expect(!denied.stderr.contains(secret))
        #expect(!denied.stdout.contains(secret))
        let allowed = try await klip("tasks", "--json", env: ["KLING_BASE_URL": url, "KLING_API_KEY": "right-key"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try JSONDecoder().decode([TaskJSON].self, from: Data(allowed.stdout.utf8)).isEmpty)
        let v1 = try await klip("tasks", "--json", "--prefix", "/v1", env: ["KLING_BASE_URL": url, "KLING_API_KEY": "right-key"])
        #expect(v1.status == 0, "\(v1.stderr)")
    }
}

/// `klip serve` as a child process; its first stderr line announces the URL.
final class ServeProcess: @unchecked Sendable {
    private let process = Process()
    private let errors = Pipe()

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = CLIRunner.root
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func baseURL() async throws -> String {
        var text = ""
        let handle = errors.fileHandleForReading
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                return String(text[range])
            }
        }
        throw CLIFailure(message: "klip serve did not announce its URL: \(text)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

struct CLIFailure: Error { var message: String }

@Suite struct ContactSheetTests {
    /// Reads one pixel of a PNG as 0xRRGGBB through ffmpeg.
    func pixel(_ png: String, x: Int, y: Int) async throws -> Int {
        let out = try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-i", png, "-vf", "crop=1:1:\(x):\(y)",
                                                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        let b = [UInt8](out.stdout)
        return Int(b[0]) << 16 | Int(b[1]) << 8 | Int(b[2])
    }

    @Test func theSheetDrawsEachFacesIntervalOnTheTimeline() async throws {
        let klip = try CLIRunner()
        let sheet = klip.stateDir + "/faces.png"
        let result = try await klip("identify", CLIRunner.media("gap-face.mp4"), "--sheet", sheet)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("contact sheet"))
        let info = try await MediaProbe.probe(sheet)
        #expect(info.video?.width == 960)
        #expect(info.video?.height == 72 + 2 * 150)
        // The bars: x = 200 + t * 720 / 8000; face 0 is seen 0-2 s, face 1 from 4 s to the end.
        let bar0 = 72 + 92 + 9, bar1 = 72 + 150 + 92 + 9
        #expect(try await pixel(sheet, x: 290, y: bar0) == 0x4fb3ff)   // 1 s
        #expect(try await pixel(sheet, x: 650, y: bar0) == 0x3a414b)   // 5 s
        #expect(try await pixel(sheet, x: 470, y: bar1) == 0x3a414b)   // 3 s
        #expect(try await pixel(sheet, x: 740, y: bar1) == 0xffb347)   // 6 s
    }
}
