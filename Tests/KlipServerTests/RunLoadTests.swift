import Foundation
import KlipMedia
import Testing

/// Issue 9 item 4: the two loads of `NoHangLoadTests` driven by one `klip run` script against
/// `klip serve --render none`, the way a user would. Only a hang fails them: there is no
/// deadline but the test runner's, and the scripts print what they got.
@Suite("No hang under load through klip run", .serialized)
struct RunLoadTests {
    @Test func aThousandCreatesTwoHundredInFlightFromOneScriptFinish() async throws {
        let output = try await runAgainstServe("""
            local session = identify("media/one-face.mp4")
            local face = session.faces[1]
            local tasks = {}
            for wave = 0, 4 do
              local handles = {}
              for i = 1, 200 do
                local n = wave * 200 + i
                handles[i] = kling.spawn(function()
                  return lipsync{session = session, face = face, sound_file = "media/speech.wav",
                                 sound_start_time = 0, sound_end_time = 2500, sound_insert_time = n - 1}
                end)
              end
              for _, task in ipairs(wait(handles)) do tasks[#tasks + 1] = task end
            end
            local succeeded = 0
            for _, r in ipairs(wait(tasks, {interval = 1})) do
              if r.task_status == "succeed" then succeeded = succeeded + 1 end
            end
            print(("created %d succeeded %d"):format(#tasks, succeeded))
            """)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("created 1000 succeeded 1000"), "\(output.stdout)\n\(output.stderr)")
    }

    @Test func twoHundredConcurrentIdentifiesFromOneScriptFinish() async throws {
        let output = try await runAgainstServe("""
            local handles = {}
            for i = 1, 200 do
              handles[i] = kling.spawn(function() return identify("media/one-face.mp4") end)
            end
            local ok = 0
            for _, session in ipairs(wait(handles)) do
              if session.session_id and #session.faces == 1 then ok = ok + 1 end
            end
            print(("identified %d"):format(ok))
            """)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("identified 200"), "\(output.stdout)\n\(output.stderr)")
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `script` with `klip run` from the repository root against a fresh `klip serve`.
    func runAgainstServe(_ script: String) async throws -> Output {
        let state = try temporaryDirectory()
        let server = try await ServeProcess.start(
            ["--render", "none", "--state-dir", state.appendingPathComponent("serve").path,
             "--media-root", ServeProcess.repoMedia, "--max-parallel", "2000", "--api-key", "load-test"])
        let file = state.appendingPathComponent("load.lua")
        try script.write(to: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        for name in ["KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_PREFIX"] { environment[name] = nil }
        environment["KLING_BASE_URL"] = server.baseURL
        environment["KLING_API_KEY"] = "load-test"
        environment["KLIP_STATE_DIR"] = state.appendingPathComponent("run").path
        let result = try await ProcessRunner.run(ServeProcess.binary, ["run", file.path], environment: environment,
                                                 currentDirectory: ServeProcess.root.path, stderrLimit: 100_000)
        #expect(FDLimitTests.zombieChildren(of: server.pid).isEmpty)
        server.kill(SIGTERM)
        #expect(await server.exitStatus() == 0)
        await server.ensureStopped()
        return Output(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self), stderr: result.stderr)
    }
}
