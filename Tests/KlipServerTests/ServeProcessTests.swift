import Foundation
import Testing

/// The built `klip serve` as a child process: signals, kills, restarts on the same state.
@Suite("klip serve process", .serialized)
struct ServeProcessTests {
    @Test func sigtermLetsARequestInFlightFinishThenExitsZero() async throws {
        let state = try temporaryDirectory()
        let server = try await ServeProcess.start(["--render", "none", "--state-dir", state.path,
                                                   "--faults", "slow=1:2s", "--faults-seed", "1"])
        do {
            let url = server.baseURL + "/v1/videos/advanced-lip-sync"
            let inFlight = Task { try await Outcome.of(.GET, url) }
            // The server has taken the request (and holds its answer back) before the signal.
            #expect(await server.waitForLine(containing: "fault injected") != nil)
            server.kill(SIGTERM)
            #expect(try await inFlight.value == .answered(200, "slow"))
            #expect(await server.exitStatus() == 0)
            #expect(!server.terminatedBySignal)
            #expect(server.stderr.contains("stopped on SIGTERM"))
        } catch {
            await server.ensureStopped()
            throw error
        }
        await server.ensureStopped()

        // The state directory is free again; SIGINT stops as cleanly.
        let again = try await ServeProcess.start(["--render", "none", "--state-dir", state.path])
        again.kill(SIGINT)
        #expect(await again.exitStatus() == 0)
        #expect(again.stderr.contains("stopped on SIGINT"))
        await again.ensureStopped()
    }

    @Test func aBadFaultSpecIsRefusedBeforeListening() async throws {
        let state = try temporaryDirectory().path
        await #expect {
            _ = try await ServeProcess.start(["--faults", "5003=0.1", "--state-dir", state])
        } throws: { error in
            let text = "\(error)"
            return text.contains("unknown fault kind \"5003\"") && !text.contains("listening on")
        }
    }

    /// Full renders of the sample media; the server is stopped (SIGTERM) or killed (SIGKILL)
    /// while a task is processing, then started again on the same state directory.
    @Test(arguments: [SIGKILL, SIGTERM])
    func everyTaskCompletesAfterTheServerDiesMidTask(signal: Int32) async throws {
        let state = try temporaryDirectory()
        let media = ServeProcess.repoMedia
        let arguments = ["--state-dir", state.path, "--media-root", media, "--max-parallel", "2"]
        var ids: [String] = []
        let first = try await ServeProcess.start(arguments)
        do {
            let base = first.baseURL + "/v1"
            let identify = try await identifyGate.withPermit {
                try await call(.POST, base + "/videos/identify-face", json: ["video_url": "file://\(media)/one-face.mp4"])
            }
            let session = try #require(identify.data?["session_id"] as? String, "identify: \(identify.message)")
            for n in 0..<2 {
                let body = TestEmulator.createBody(session: session, sound: "file://\(media)/speech.wav", start: 0, end: 2500 + n * 500,
                                                   extra: ["external_task_id": "killed-\(n)"])
                let created = try await call(.POST, base + "/videos/advanced-lip-sync", json: body)
                ids.append(try #require(created.data?["task_id"] as? String, "create: \(created.message)"))
            }
            // Until a render is under way (bounded; the render of a 10 s clip takes several seconds).
            var statuses: [String] = []
            for _ in 0..<600 where !statuses.contains("processing") {
                statuses = try await ids.asyncMap { try await call(.GET, base + "/videos/advanced-lip-sync/\($0)").data?["task_status"] as? String ?? "" }
                if !statuses.contains("processing") { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(statuses.contains("processing"), "\(statuses)")
            #expect(!statuses.allSatisfy { $0 == "succeed" })
            first.kill(signal)
            let status = await first.exitStatus()
            if signal == SIGKILL {
                #expect(first.terminatedBySignal && status == SIGKILL)
            } else {
                #expect(!first.terminatedBySignal && status == 0, "\(first.stderr)")
            }
        } catch {
            await first.ensureStopped()
            throw error
        }
        await first.ensureStopped()

        let second = try await ServeProcess.start(arguments)
        do {
            #expect(second.stderr.contains("requeued="))
            let base = second.baseURL + "/v1"
            for (n, id) in ids.enumerated() {
                var data: [String: Any] = [:]
                for _ in 0..<3000 {
                    data = try #require(try await call(.GET, base + "/videos/advanced-lip-sync/\(id)").data)
                    if ["succeed", "failed"].contains(data["task_status"] as? String ?? "") { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(data["task_status"] as? String == "succeed", "\(id): \(data["task_status_msg"] ?? "")")
                #expect((data["task_info"] as? [String: Any])?["external_task_id"] as? String == "killed-\(n)")
                let video = ((data["task_result"] as? [String: Any])?["videos"] as? [[String: Any]])?.first
                let url = try #require(video?["url"] as? String)
                #expect(url.hasPrefix(second.baseURL))
                let file = try await call(.GET, url)
                #expect(file.status == 200)
                #expect(file.body.count > 10_000)
            }
            // Nothing is left half-rendered beside the results.
            let leftovers = FileManager.default.enumerator(atPath: state.appendingPathComponent("private/tasks").path)?
                .compactMap { $0 as? String }.filter { $0.contains("render-") } ?? []
            #expect(leftovers.isEmpty, "\(leftovers)")
            second.kill(SIGTERM)
            #expect(await second.exitStatus() == 0)
        } catch {
            await second.ensureStopped()
            throw error
        }
        await second.ensureStopped()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
