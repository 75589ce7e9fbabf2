import Foundation
import Testing

/// Issue 9 item 5: SIGTERM stops `klip serve` within `--shutdown-timeout`, exit 0; a second
/// signal exits at once. Bounds here are against a hang (minutes), never a measurement.
@Suite("Bounded shutdown", .serialized)
struct ShutdownTests {
    @Test func aSignalRightAfterListeningIsNotLost() async throws {
        let state = try temporaryDirectory()
        let server = try await ServeProcess.start(["--render", "none", "--state-dir", state.path])
        server.kill(SIGTERM)
        #expect(await server.exitStatus() == 0, "\(server.stderr)")
        #expect(server.stderr.contains("stopped on SIGTERM"))
        await server.ensureStopped()
    }

    @Test func aRequestThatHangsIsCutOffAtTheTimeoutAndTheExitIsStillZero() async throws {
        let state = try temporaryDirectory()
        // Every answer is held back for 10 minutes: far beyond the bound below.
        let server = try await ServeProcess.start(["--render", "none", "--state-dir", state.path, "--shutdown-timeout", "1",
                                                   "--faults", "slow=1:600s", "--faults-seed", "1"])
        let inFlight = Task { try? await Outcome.of(.GET, server.baseURL + "/v1/videos/advanced-lip-sync") }
        #expect(await server.waitForLine(containing: "fault injected") != nil)
        server.kill(SIGTERM)
        #expect(await server.exitStatus(timeout: .seconds(120)) == 0, "\(server.stderr)")
        #expect(!server.terminatedBySignal)
        let outcome = await inFlight.value
        #expect(outcome != .answered(200, "slow"), "the held request was answered instead of cut off")
        await server.ensureStopped()
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSecondSignalExitsAtOnce(second: Int32) async throws {
        let state = try temporaryDirectory()
        let server = try await ServeProcess.start(["--render", "none", "--state-dir", state.path, "--shutdown-timeout", "600",
                                                   "--faults", "slow=1:600s", "--faults-seed", "1"])
        let inFlight = Task { try? await Outcome.of(.GET, server.baseURL + "/v1/videos/advanced-lip-sync") }
        #expect(await server.waitForLine(containing: "fault injected") != nil)
        server.kill(SIGTERM)
        #expect(await server.waitForLine(containing: "no new connections") != nil)
        server.kill(second)
        #expect(await server.exitStatus(timeout: .seconds(120)) == 1, "\(server.stderr)")
        #expect(server.stderr.contains("second signal"))
        inFlight.cancel()
        await server.ensureStopped()
    }
}
