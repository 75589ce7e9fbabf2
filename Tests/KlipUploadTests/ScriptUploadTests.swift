import Foundation
import KlipTestSupport
import KlipUpload
import Testing

/// The whole path, as a user runs it: `klip run` against `klip serve --remote-only` (the
/// cloud's rules about local media), uploads to a real moto_server, the init file's hook,
/// and `--plan`.
@Suite(.serialized) struct ScriptUploadTests {
    static let media = ChildProcess.root.appendingPathComponent("media")

    func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func serve(state: URL) async throws -> (ChildProcess, String) {
        let serve = try ChildProcess(executable: ChildProcess.klip,
                                     arguments: ["serve", "--port", "0", "--remote-only", "--render", "none", "--loopback-only",
                                                 "--state-dir", state.path, "--media-root", Self.media.path],
                                     environment: ProcessInfo.processInfo.environment)
        guard let line = await serve.waitForLine(containing: "klip serve: listening on", timeout: .seconds(120)),
              let range = line.range(of: #"http://[0-9.:]+"#, options: .regularExpression) else {
            await serve.ensureStopped()
            throw ChildProcessError("klip serve did not start:\n\(serve.output)")
        }
        return (serve, String(line[range]))
    }

    func run(_ arguments: [String], environment extra: [String: String], in dir: URL) async throws -> (Int32?, String) {
        try await klip(["run"] + arguments, environment: extra, in: dir)
    }

    func klip(_ arguments: [String], environment extra: [String: String], in dir: URL) async throws -> (Int32?, String) {
        var environment = ProcessInfo.processInfo.environment
        for name in ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLIP_UPLOAD", "KLIP_INIT", "AWS_ACCESS_KEY_ID",
                     "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"] {
            environment[name] = nil
        }
        environment["KLIP_STATE_DIR"] = dir.appendingPathComponent("state").path
        environment["XDG_CONFIG_HOME"] = dir.appendingPathComponent("config").path
        environment.merge(extra) { $1 }
        let process = try ChildProcess(executable: ChildProcess.klip, arguments: arguments, environment: environment, directory: dir)
        return await process.finish()
    }

    static let script = """
        local s = identify(arg[1])
        local t = lipsync{session = s, face = s.faces[1], sound_file = arg[2],
                          sound_start_time = 0, sound_end_time = 2000, sound_insert_time = 0}
        local r = wait(t, {interval = 0.2})
        print("RESULT " .. r.task_status .. " " .. #s.faces .. " " .. tostring(os.getenv("AWS_SECRET_ACCESS_KEY")))
        """

    /// Against an API that is not on this machine a local video cannot be sent as a path: with
    /// no uploader the error names the ways out, before any request (the host is never reached).
    @Test func theCloudWithoutAnUploaderNamesTheWaysOut() async throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = Self.media.appendingPathComponent("one-face.mp4").path
        let (status, output) = try await run(["-e", "identify(arg[1])", video],
                                             environment: ["KLING_BASE_URL": "https://kling.invalid", "KLING_API_KEY": "k-test"], in: dir)
        #expect(status == 1)
        #expect(output.contains("KLIP_UPLOAD") && output.contains("kling.uploader"), "\(output)")
        #expect(!output.contains("k-test"))
    }

    @Test func aLocalVideoIsUploadedToS3AndTheCloudLikeEmulatorIdentifiesIt() async throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.script.write(to: dir.appendingPathComponent("job.lua"), atomically: true, encoding: .utf8)
        let moto = try await MotoServer.start()
        let (serve, url) = try await serve(state: dir.appendingPathComponent("serve"))
        try await withCleanup {
            try await moto.createBucket("klip-run")
            let aws = ["KLING_BASE_URL": url, "KLIP_UPLOAD": "s3://klip-run/clips", "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
                       "AWS_ACCESS_KEY_ID": MotoServer.credentials.accessKeyID,
                       "AWS_SECRET_ACCESS_KEY": MotoServer.credentials.secretAccessKey, "AWS_REGION": "us-east-1"]
            let video = Self.media.appendingPathComponent("one-face.mp4").path
            let speech = Self.media.appendingPathComponent("speech.wav").path

            // Without an uploader, an emulator on this machine is sent the path (it may read it):
            // the cloud-like one refuses it as Kling does, naming the field.
            var noUpload = aws
            noUpload["KLIP_UPLOAD"] = nil
            let (refusedStatus, refused) = try await run(["job.lua", video, speech], environment: noUpload, in: dir)
            #expect(refusedStatus == 1)
            #expect(refused.contains("1201") && refused.contains("video_url"), "\(refused)")

            let (status, output) = try await run(["job.lua", video, speech], environment: aws, in: dir)
            #expect(status == 0, "\(output)")
            #expect(output.contains("RESULT succeed 1 nil"), "\(output)")
            #expect(output.contains("uploaded as clips/"), "\(output)")
            #expect(!output.contains(MotoServer.credentials.secretAccessKey))

            // A rerun: the journal has the upload; nothing is sent to the store again.
            let (again, rerun) = try await run(["job.lua", video, speech], environment: aws, in: dir)
            #expect(again == 0, "\(rerun)")
            #expect(rerun.contains("already uploaded"), "\(rerun)")
            #expect(rerun.contains("not created again"), "the same URL, so the journal's task: \(rerun)")

            // `klip identify --upload` takes the same path; the URL's signature is never printed.
            var cli = aws
            cli["KLIP_UPLOAD"] = nil
            let (identified, table) = try await klip(["identify", "--upload", "s3://klip-run/cli", "--json", video], environment: cli, in: dir)
            #expect(identified == 0, "\(table)")
            #expect(table.contains("session_id"), "\(table)")
            #expect(!table.contains("X-Amz-Signature"), "\(table)")
        } cleanup: {
            await serve.ensureStopped(); await moto.stop()
        }
    }

    @Test func theInitFilesUploaderReplacesS3AndPlanningCallsNothing() async throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.script.write(to: dir.appendingPathComponent("job.lua"), atomically: true, encoding: .utf8)
        let moto = try await MotoServer.start()
        let (serve, url) = try await serve(state: dir.appendingPathComponent("serve"))
        try await withCleanup {
            try await moto.createBucket("klip-hook")
            let video = Self.media.appendingPathComponent("one-face.mp4").path
            // The user's storage is the test's own upload; the hook only hands out its URL.
            let uploaded = try await ContentUploader(settings: moto.settings(bucket: "klip-hook")).upload(path: video)
            let config = dir.appendingPathComponent("config/klip")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try """
                local url = os.getenv("HOOK_URL")
                kling.uploader = function(path, info)
                  if kling.planning then error("the uploader was called while planning") end
                  print("HOOK " .. path .. " " .. info.size .. " " .. info.sha256 .. " " .. info.kind)
                  return url
                end
                """.write(to: config.appendingPathComponent("init.lua"), atomically: true, encoding: .utf8)

            let env = ["KLING_BASE_URL": url, "HOOK_URL": uploaded.url]
            let speech = Self.media.appendingPathComponent("speech.wav").path
            let (status, output) = try await run(["job.lua", video, speech], environment: env, in: dir)
            #expect(status == 0, "\(output)")
            #expect(output.contains("HOOK \(video) \(uploaded.digest.size) \(uploaded.digest.sha256) video"), "\(output)")
            #expect(output.contains("RESULT succeed 1"), "\(output)")

            // --no-init: no hook, no S3: the cloud-like emulator's rule stands.
            let (skipped, skippedOutput) = try await run(["--no-init", "job.lua", video, speech], environment: env, in: dir)
            #expect(skipped == 1)
            #expect(!skippedOutput.contains("HOOK"))

            // --plan with cloud credentials and a dead base URL: nothing is sent, the hook is not called.
            let planEnv = ["KLING_API_KEY": "never-sent-key", "KLING_BASE_URL": "http://127.0.0.1:9", "HOOK_URL": uploaded.url]
            let (planned, plan) = try await run(["--plan", "--json", "job.lua", video, speech], environment: planEnv, in: dir)
            #expect(planned == 0, "\(plan)")
            let json = try #require(plan.split(separator: "\n").last { $0.hasPrefix("{") })
            let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            #expect(decoded?["total_tasks"] as? Int == 1)
            #expect((decoded?["total_output_seconds"] as? Double ?? 0) > 5)
            let task = (decoded?["tasks"] as? [[String: Any]])?.first
            #expect(task?["video"] as? String == video)
            #expect(task?["face_id"] as? String != nil)
            #expect(task?["sound_end_time"] as? Int == 2000)
            #expect(!plan.contains("HOOK"))
        } cleanup: {
            await serve.ensureStopped(); await moto.stop()
        }
    }
}
