import Foundation
@testable import KlipMedia
import KlipTestSupport
import Testing

/// Every subprocess path gives its fds back (issue 9: two leaked per call hung the server).
/// The count is the whole process's, and in the full suite other suites' servers and tools
/// held 47 more pipes for minutes, so these run in a test process of their own
/// (`SubprocessTests.theFDTestsPassInAProcessOfTheirOwn`), where nothing else opens pipes.
@Suite(.enabled(if: FDTestProcess.isAlone)) struct SubprocessFDTests {
    @Test func runnerReturnsToTheSameFDCount() async throws {
        _ = try await ProcessRunner.run("ffprobe", ["-version"])  // warm up lazily opened fds
        let growth = try await fdGrowth(settlingBelow: 10) {
            for _ in 0..<200 {
                let output = try await ProcessRunner.run("ffprobe", ["-version"], stdin: Data("x".utf8))
                #expect(output.status == 0)
                #expect(String(decoding: output.stdout, as: UTF8.self).contains("ffprobe version"))
            }
        }
        #expect(growth < 10, "200 runs left \(growth) more fds open")
    }

    @Test func framePipesReturnToTheSameFDCount() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try await makeClip(in: dir)
        let growth = try await fdGrowth(settlingBelow: 10) {
            for i in 0..<30 {
                let reader = try FrameReader(path: clip, width: 320, height: 240, everyNthFrame: 10)
                let out = dir.appendingPathComponent("out-\(i).mp4").path
                let writer = try FrameWriter(arguments: FrameWriter.rawVideoInput(width: 320, height: 240, fps: 2.5)
                                             + ["-c:v", "libx264", "-preset", "ultrafast", out], outputPath: out)
                let frames = try await DedicatedThread.run(name: "test-pipe") { () throws -> Int in
                    var buffer: [UInt8] = [], count = 0
                    while try reader.read(into: &buffer) { try writer.write(buffer); count += 1 }
                    try reader.close()
                    try writer.finish()
                    return count
                }
                #expect(frames == 5)
                #expect(FileManager.default.fileExists(atPath: out))
            }
        }
        #expect(growth < 10, "30 reader/writer pairs left \(growth) more fds open")
    }

    @Test func cancelledPipesGiveTheirFDsBack() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try await makeClip(in: dir)
        let growth = try await fdGrowth(settlingBelow: 10) {
            for _ in 0..<60 {
                let reader = try FrameReader(path: clip, width: 320, height: 240)
                reader.cancel()
                let outcome = try await DedicatedThread.run(name: "test-cancel") { () -> String in
                    var buffer: [UInt8] = []
                    do {
                        while try reader.read(into: &buffer) {}
                        try reader.close()
                        return "finished"
                    } catch is CancellationError { return "cancelled" } catch { return "\(error)" }
                }
                #expect(outcome == "cancelled")
            }
        }
        #expect(growth < 10, "60 cancelled readers left \(growth) more fds open")
    }

    @Test func droppedPipesGiveTheirFDsBack() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = try await makeClip(in: dir)
        let growth = try await fdGrowth(settlingBelow: 10) {
            for _ in 0..<60 {
                // Never read, never closed: deinit kills the tool and closes our ends; the
                // child's ends close when the tool is reaped, a moment later.
                _ = try FrameReader(path: clip, width: 320, height: 240)
            }
        }
        #expect(growth < 10, "60 dropped readers left \(growth) more fds open")
    }

    @Test func imagesAndSheetsReturnToTheSameFDCount() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let growth = try await fdGrowth(settlingBelow: 10) {
            for i in 0..<40 {
                let png = dir.appendingPathComponent("img-\(i).png").path
                try await ImageWriter.write(rgb: [UInt8](repeating: 200, count: 8 * 8 * 3), width: 8, height: 8, to: png)
                #expect(try await MediaProbe.probe(png).video?.width == 8)
            }
        }
        #expect(growth < 10, "40 images left \(growth) more fds open")
    }
}

@Suite struct SubprocessTests {
    @Test(.enabled(if: !FDTestProcess.isAlone)) func theFDTestsPassInAProcessOfTheirOwn() async throws {
        let output = try await FDTestProcess.run()
        let text = String(decoding: output.stdout, as: UTF8.self) + output.stderr
        #expect(output.status == 0, "SubprocessFDTests failed alone:\n\(text.suffix(3000))")
        // Five fd tests ran (a filter matching nothing would pass too).
        #expect(text.contains("with 5 tests"), "\(text.suffix(3000))")
    }

    @Test func aFailedToolReportsItsStderrAndStatus() async throws {
        let output = try await ProcessRunner.run("ffprobe", ["-v", "error", "/nonexistent/klip.mp4"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("No such file"))
        await #expect(throws: MediaError.toolMissing("klip-no-such-tool")) {
            try await ProcessRunner.run("klip-no-such-tool", [])
        }
    }

    @Test func aCancelledRunEndsItsTool() async throws {
        let task = Task { try await ProcessRunner.run("ffmpeg", ["-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=duration=600",
                                                                 "-f", "null", "-"]) }
        task.cancel()
        // A kill answers at once; the bound is only against a hang.
        let result = await task.result
        if case let .success(output) = result { #expect(output.status != 0, "ffmpeg ran 600 s of video to the end") }
    }
}

@Suite struct ConcurrencyLimiterTests {
    @Test func aBurstNeverRunsMoreThanTheLimit() async throws {
        let limiter = ConcurrencyLimiter(limit: 3)
        let peak = PeakCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    try await limiter.run {
                        await peak.enter()
                        _ = try await ProcessRunner.run("ffprobe", ["-version"])
                        await peak.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await peak.peak <= 3)
        #expect(await peak.total == 60)
        #expect(await limiter.inUse == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        let gate = Latch()
        let holder = Task { try await limiter.run { await gate.wait() } }
        while await limiter.inUse == 0 { await Task.yield() }
        let waiter = Task { try await limiter.run { "ran" } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await gate.open()
        try await holder.value
        #expect(try await limiter.run { "free" } == "free")
        #expect(await limiter.inUse == 0)
    }
}

actor PeakCounter {
    private var now = 0
    private(set) var peak = 0
    private(set) var total = 0
    func enter() { now += 1; total += 1; peak = max(peak, now) }
    func leave() { now -= 1 }
}

