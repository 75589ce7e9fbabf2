import Foundation
import Testing

/// Issue 9 item 4: loads that once hung the emulator (false 1201s, zombies, tasks stuck in
/// `processing`) finish. Bounds are generous (minutes) and only catch a hang.
@Suite("No hang under load", .serialized)
struct NoHangLoadTests {
    @Test func aThousandCreatesTwoHundredInFlightAllFinishWithNoZombie() async throws {
        let state = try temporaryDirectory()
        let media = ServeProcess.repoMedia
        let server = try await ServeProcess.start(
            ["--render", "none", "--state-dir", state.path, "--media-root", media, "--max-parallel", "2000"])
        let base = server.baseURL + "/v1"
        let identify = try await identifyGate.withPermit {
            try await call(.POST, base + "/videos/identify-face", json: ["video_url": "file://\(media)/one-face.mp4"])
        }
        let session = try #require(identify.data?["session_id"] as? String, "identify: \(identify.message)")
        let sound = try Data(contentsOf: URL(fileURLWithPath: "\(media)/speech.wav")).base64EncodedString()
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            var ids: [String] = []
            for n in 0..<1000 {
                if n >= 200, let id = try await group.next() { ids.append(id ?? "") }
                group.addTask {
                    let body = TestEmulator.createBody(session: session, sound: sound, start: 0, end: 2500, insert: n)
                    return try await call(.POST, base + "/videos/advanced-lip-sync", json: body, client: loadClient).data?["task_id"] as? String
                }
            }
            for try await id in group { ids.append(id ?? "") }
            return ids
        }
        #expect(ids.count == 1000)
        #expect(ids.allSatisfy { !$0.isEmpty }, "\(ids.filter(\.isEmpty).count) creates failed")
        // Every task reaches a final status (a bound of polls against a hang, not a timing).
        var unfinished = Set(ids.filter { !$0.isEmpty })
        for _ in 0..<600 where !unfinished.isEmpty {
            for id in unfinished {
                let status = try await call(.GET, base + "/videos/advanced-lip-sync/\(id)").data?["task_status"] as? String
                if status == "succeed" { unfinished.remove(id) }
            }
            if !unfinished.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(unfinished.isEmpty, "\(unfinished.count) tasks never succeeded")
        #expect(FDLimitTests.zombieChildren(of: server.pid).isEmpty)
        server.kill(SIGTERM)
        #expect(await server.exitStatus() == 0)
        await server.ensureStopped()
    }

    /// Tracking is cached by content (`FaceTracks`), so 200 identifies of one clip track it
    /// once; without that they cost ~400 s of CPU on 2 cores.
    @Test func twoHundredConcurrentIdentifiesOfTheSameClipAllFinish() async throws {
        let state = try temporaryDirectory()
        let media = ServeProcess.repoMedia
        let server = try await ServeProcess.start(
            ["--render", "none", "--state-dir", state.path, "--media-root", media, "--max-parallel", "2000"])
        let base = server.baseURL + "/v1"
        // All 200 at once, on purpose without the tests' identify gate: the server must queue them.
        let sessions = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let answer = try await call(.POST, base + "/videos/identify-face",
                                                json: ["video_url": "file://\(media)/one-face.mp4"], client: loadClient)
                    return answer.data?["session_id"] as? String
                }
            }
            var sessions: [String?] = []
            for try await session in group { sessions.append(session) }
            return sessions
        }
        #expect(sessions.count == 200)
        #expect(sessions.allSatisfy { $0 != nil }, "\(sessions.filter { $0 == nil }.count) identifies failed")
        #expect(FDLimitTests.zombieChildren(of: server.pid).isEmpty)
        server.kill(SIGTERM)
        #expect(await server.exitStatus() == 0)
        await server.ensureStopped()
    }
}
