import Foundation
import Testing

/// Issue 9, "fds": each subprocess leaked two pipe fds, so under `ulimit -n 256` the server
/// answered false 1201s after about 19 creates and then stopped reaping its children.
@Suite("fd limits", .serialized)
struct FDLimitTests {
    @Test func threeHundredCreatesOneAtATimeUnderNofile256() async throws {
        let state = try temporaryDirectory()
        let media = ServeProcess.repoMedia
        let server = try await ServeProcess.start(
            ["--render", "none", "--state-dir", state.path, "--media-root", media, "--max-parallel", "1000"],
            launcher: ["/usr/bin/prlimit", "--nofile=256:256", "--"])
        do {
            let base = server.baseURL + "/v1"
            let identify = try await identifyGate.withPermit {
                try await call(.POST, base + "/videos/identify-face", json: ["video_url": "file://\(media)/one-face.mp4"])
            }
            let session = try #require(identify.data?["session_id"] as? String, "identify: \(identify.message)")
            // Base64, as the load did: each create decodes it into a new file and probes it.
            let sound = try Data(contentsOf: URL(fileURLWithPath: "\(media)/speech.wav")).base64EncodedString()
            var failures: [String] = []
            for n in 0..<300 {
                let body = TestEmulator.createBody(session: session, sound: sound, start: 0, end: 2500,
                                                   extra: ["external_task_id": "fd-\(n)"])
                let created = try await call(.POST, base + "/videos/advanced-lip-sync", json: body)
                if created.code != 0 { failures.append("create \(n): \(created.code.map(String.init) ?? "no code") \(created.message)") }
                if failures.count > 3 { break }
            }
            #expect(failures.isEmpty, "\(failures)")
            let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count
            #expect(open < 128, "the server holds \(open) fds after 300 creates")
            #expect(Self.zombieChildren(of: server.pid).isEmpty)
            server.kill(SIGTERM)
            #expect(await server.exitStatus() == 0)
        } catch {
            await server.ensureStopped()
            throw error
        }
        await server.ensureStopped()
    }

    /// Children of `pid` that exited and were never reaped.
    static func zombieChildren(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let children = tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").map(String.init)
        }
        return children.filter { child in
            let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            // The state follows the command name in parentheses.
            return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false
        }
    }
}
