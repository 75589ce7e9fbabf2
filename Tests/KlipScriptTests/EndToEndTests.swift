import Foundation
import KlingAPI
import KlipServer
import Logging
import Testing
@testable import KlipScript

/// The embedded emulator on a loopback port and a real client: what `klip run` uses.
final class EmulatorBackend: ScriptBackend {
    let name = "local"
    let running: RunningEmulator
    let kling: KlingClient

    init(running: RunningEmulator) {
        self.running = running
        kling = KlingClient(configuration: KlingConfiguration(baseURL: running.baseURL, pathPrefix: KlingConfiguration.gatewayPrefix,
                                                              credentials: .none, isLocal: true))
    }
    func client() async throws -> KlingClient { kling }

    static let media = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("media")

    static func start(render: Bool = true, maxParallel: Int? = nil) async throws -> EmulatorBackend {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("klip-script-e2e-\(UUID().uuidString)")
        var config = EmulatorConfiguration(stateDirectory: state.path, maxParallel: maxParallel ?? (render ? 2 : 64))
        config.mediaRoots = [media.path, FileManager.default.temporaryDirectory.path]
        if !render { config.renderMode = .none }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return EmulatorBackend(running: try await Emulator.start(config, logger: logger))
    }
}

/// Runs `body` against a fresh emulator and awaits its stop before returning, whatever
/// happens, so no test leaves a server running into the next one.
func withEmulatorBackend(render: Bool = true, maxParallel: Int? = nil,
                         _ body: (EmulatorBackend) async throws -> Void) async throws {
    let backend = try await EmulatorBackend.start(render: render, maxParallel: maxParallel)
    do {
        try await body(backend)
    } catch {
        await backend.running.stop()
        throw error
    }
    await backend.running.stop()
}

func runScript(_ code: String, backend: EmulatorBackend, lines: Lines = Lines()) async -> Run {
    let options = ScriptOptions(source: .code(code), diagnostics: { lines.add($0) }, liveProgress: false)
    let result = await ScriptRunner(options: options, backend: backend).run()
    return Run(result: result, lines: lines)
}

@Suite(.serialized) struct EndToEndTests {
    let media = EmulatorBackend.media.path

    @Test func identifyLipsyncWaitDownload() async throws {
        try await withEmulatorBackend { backend in
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("klip-e2e-\(UUID().uuidString).mp4").path
            let r = await runScript("""
            local s = identify("\(media)/two-faces.mp4")
            assert(#s.faces == 2 and s.face_data == s.faces, "two faces")
            assert(type(s.faces[1].face_id) == "string")
            local t = lipsync{session = s, face = s.faces[2], sound_file = "\(media)/speech.wav",
              sound_start_time = 0, sound_end_time = 2500, sound_insert_time = 500, original_audio_volume = 0.3,
              external_task_id = "e2e-one"}
            assert(t.task_id and t.task_status == "submitted", "created")
            local seen = {}
            local r = wait(t, {interval = 0.2, on_status = function(st) seen[#seen + 1] = st.task_status end})
            local path = kling.download(r, "\(out)")
            local info = kling.probe(path)
            local q = kling.task(t.task_id)
            return r.task_status, r.videos[1].duration, t.external_task_id, info.width, info.has_audio, q.task_status, seen[#seen]
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values.count == 7)
            #expect(r.values.first == .string("succeed"))
            #expect(r.values.count > 2 && r.values[2] == .string("e2e-one"))
            #expect(r.values.count > 3 && r.values[3] == .int(1280))
            #expect(r.values.last == .string("succeed"))
            #expect(r.result.createdTasks.count == 1)
            #expect(FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func ruleViolationsRaiseNamingTheFieldBeforeSending() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let r = await runScript("""
            local s = identify("\(media)/one-face.mp4")
            local spec = {session = s, face_id = s.faces[1].face_id, sound_file = "\(media)/speech.wav",
                          sound_start_time = 0, sound_end_time = 1000, sound_insert_time = 0}
            local ok, err = pcall(lipsync, spec)
            spec.sound_end_time = 2500; spec.sound_volume = 3
            local ok2, err2 = pcall(lipsync, spec)
            spec.sound_volume = nil; spec.sound_insert_time = 1.5
            local ok3, err3 = pcall(lipsync, spec)
            local ok4, err4 = pcall(identify, 42)
            return err.kind, err.field, err2.field, err3.field, err4.field, tostring(err)
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values.count == 6)
            #expect(r.values.first == .string("validation"))
            #expect(r.values.count > 1 && r.values[1] == .string("face_choose[0].sound_end_time"))
            #expect(r.values.count > 2 && r.values[2] == .string("face_choose[0].sound_volume"))
            #expect(r.values.count > 3 && r.values[3] == .string("face_choose[0].sound_insert_time"))
            #expect(r.values.count > 4 && r.values[4] == .string("video_url"))
            #expect(r.result.createdTasks.isEmpty)
        }
    }

    @Test func fiftyTasksInFlightFromOneScript() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let r = await runScript("""
            local s = identify("\(media)/one-face.mp4")
            local creators = {}
            for i = 1, 50 do
              creators[i] = kling.spawn(lipsync, {session = s, face = s.faces[1], sound_file = "\(media)/speech.wav",
                sound_start_time = 0, sound_end_time = 2000, sound_insert_time = (i % 5) * 100,
                external_task_id = "batch-" .. i .. "-" .. os.time()})
            end
            local tasks = wait(creators)
            local results = wait(tasks, {interval = 0.2})
            local ok = 0
            for i, res in ipairs(results) do
              if res.task_status == "succeed" and res.task_id == tasks[i].task_id then ok = ok + 1 end
            end
            return ok
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.int(50)])
            #expect(r.result.createdTasks.count == 50)
        }
    }

    @Test func spawnedPipelinesAndTimeouts() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let r = await runScript("""
            local s = identify("\(media)/one-face.mp4")
            local function clip(i)
              local t = lipsync{session = s, face = s.faces[1], sound_file = "\(media)/speech.wav",
                sound_start_time = 0, sound_end_time = 2000, sound_insert_time = i * 100}
              return wait(t, {interval = 0.2}).task_status
            end
            local hs = {}
            for i = 1, 4 do hs[i] = kling.spawn(clip, i) end
            local all = wait(hs)
            local t = lipsync{session = s, face = s.faces[1], sound_file = "\(media)/speech.wav",
              sound_start_time = 0, sound_end_time = 2000, sound_insert_time = 0}
            local ok, err = pcall(wait, t, {timeout = 0.05, interval = 1})
            return table.concat(all, ","), ok, err.kind, err.task_id == t.task_id
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.string("succeed,succeed,succeed,succeed"), .bool(false), .string("timeout"), .bool(true)])
        }
    }

    @Test func interruptReportsTheTasksAlreadyCreated() async throws {
        try await withEmulatorBackend { backend in
            let lines = Lines()
            let created = Readiness()
            let options = ScriptOptions(source: .code("""
            local s = identify("\(media)/one-face.mp4")
            local t = lipsync{session = s, face = s.faces[1], sound_file = "\(media)/speech.wav",
              sound_start_time = 0, sound_end_time = 2000, sound_insert_time = 0, external_task_id = "to-interrupt-\(UUID().uuidString)"}
            kling.log("created")
            wait(t, {interval = 30})
            """), diagnostics: { line in
                lines.add(line)
                if line.contains("created") { created.signal() }
            }, liveProgress: false)
            let runner = ScriptRunner(options: options, backend: backend)
            // The interrupt waits for the create however long a loaded machine takes (CI once
            // took over 60 s), and a run that ends before creating anything frees the wait too.
            let run = Task { () -> ScriptResult in
                defer { created.signal() }
                return await runner.run()
            }
            await created.wait()
            try #require(lines.text.contains("created"), "the run ended before creating its task: \(lines.text)")
            runner.interrupt()
            let r = await run.value
            #expect(r.exitStatus == 130)
            #expect(r.createdTasks.count == 1)
            #expect(r.createdTasks.first?.externalTaskID?.hasPrefix("to-interrupt-") == true)
            #expect(lines.text.contains("tasks created by this run"))
        }
    }

    @Test func contactSheetOfTheFaces() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("klip-sheet-\(UUID().uuidString).png").path
            let r = await runScript("""
            local s = identify("\(media)/two-faces.mp4")
            local path = kling.sheet(s, "\(out)")
            local info = kling.probe(path)
            return info.width, info.height
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.int(480), .int(304)])
        }
    }

    @Test func waitOnAMixedListOfTasksHandlesAndIds() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let r = await runScript("""
            local s = identify("\(media)/one-face.mp4")
            local function make(i)
              return lipsync{session = s, face_id = s.faces[1].face_id, sound_file = "\(media)/speech.wav",
                sound_start_time = 0, sound_end_time = 2000, sound_insert_time = i * 10, external_task_id = "mixed-" .. i .. "-" .. os.time()}
            end
            local t1 = make(1)
            local h = kling.spawn(function() return "from spawn" end)
            local t2 = make(2)
            local rs = wait({t1, h, t2.task_id}, {interval = 0.2})
            local again = wait(t1.task_id)
            return rs[1].task_status, rs[2], rs[3].task_id == t2.task_id, again.task_status, kling.task(t2).task_status
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.string("succeed"), .string("from spawn"), .bool(true), .string("succeed"), .string("succeed")])
        }
    }

    /// Coroutines that need the API at the same moment share one client (one emulator).
    @Test func concurrentFirstCallsMakeOneClient() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let counter = Counter()
            let counting = CountingBackend(inner: backend, counter: counter)
            let options = ScriptOptions(source: .code("""
            local hs = {}
            for i = 1, 3 do hs[i] = kling.spawn(identify, "\(media)/one-face.mp4") end
            local ss = wait(hs)
            return #ss[1].faces, #ss[3].faces
            """), diagnostics: { _ in }, liveProgress: false)
            let r = await ScriptRunner(options: options, backend: counting).run()
            #expect(r.exitStatus == 0, "\(r.errorMessage ?? "")")
            #expect(r.values == [.int(1), .int(1)])
            #expect(counter["client"] == 1)
        }
    }

    /// With one task slot, a loop of creates queues in lipsync instead of failing with 1303.
    @Test func createsWaitForAFreeSlot() async throws {
        try await withEmulatorBackend(render: false, maxParallel: 1) { backend in
            let r = await runScript("""
            local s = identify("\(media)/one-face.mp4")
            local ts = {}
            for i = 1, 4 do
              ts[i] = lipsync{session = s, face = s.faces[1], sound_file = "\(media)/speech.wav",
                sound_start_time = 0, sound_end_time = 2000, sound_insert_time = i * 100}
            end
            local rs = wait(ts, {interval = 0.2})
            local ok = 0
            for _, res in ipairs(rs) do if res.task_status == "succeed" then ok = ok + 1 end end
            return ok
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.int(4)])
        }
    }
}

final class CountingBackend: ScriptBackend {
    let name = "local"
    let inner: EmulatorBackend
    let counter: Counter
    init(inner: EmulatorBackend, counter: Counter) { self.inner = inner; self.counter = counter }
    func client() async throws -> KlingClient {
        counter.bump("client")
        try await Task.sleep(for: .milliseconds(200)) // like starting an emulator
        return inner.kling
    }
}
