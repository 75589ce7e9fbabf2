import Foundation
@testable import KlipMedia
import Testing

@Suite struct ProbeCacheTests {
    @Test func theSameBytesAreProbedOnce() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = dir.appendingPathComponent("a.wav").path
        try await makeTone(at: first)
        let cache = ProbeCache(capacity: 16)
        let runs = PeakCounter()
        // The same content under 100 names, probed concurrently.
        try await withThrowingTaskGroup(of: MediaInfo.self) { group in
            for i in 0..<100 {
                let copy = dir.appendingPathComponent("copy-\(i).wav").path
                try FileManager.default.copyItem(atPath: first, toPath: copy)
                group.addTask {
                    try await cache.info(for: copy) {
                        await runs.enter(); await runs.leave()
                        return try await MediaProbe.probeUncached(copy)
                    }
                }
            }
            for try await info in group { #expect(info.audio?.sampleRate == 44100) }
        }
        #expect(await runs.total == 1)

        // Different bytes: probed again, and told apart.
        let other = dir.appendingPathComponent("b.wav").path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=duration=3", other])
        let info = try await cache.info(for: other) {
            await runs.enter(); await runs.leave()
            return try await MediaProbe.probeUncached(other)
        }
        #expect(await runs.total == 2)
        #expect(info.durationMs == 3000)
    }

    /// A caller holding the bytes gives their SHA-256 (the emulator, for a decoded Base64
    /// sound): the entry the file's content found answers it without a probe.
    @Test func aGivenDigestFindsWhatTheFilesContentFound() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.wav").path
        try await makeTone(at: path)
        let cache = ProbeCache(capacity: 4)
        let runs = PeakCounter()
        let probed = try await cache.info(for: path) {
            await runs.enter(); await runs.leave()
            return try await MediaProbe.probeUncached(path)
        }
        let digest = try ContentDigest.of(path)
        let known = try await cache.info(forContent: digest) {
            await runs.enter(); await runs.leave()
            return try await MediaProbe.probeUncached(path)
        }
        #expect(known == probed)
        #expect(await runs.total == 1)
    }

    @Test func aFailureIsNotRemembered() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.wav").path
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: path))
        let cache = ProbeCache(capacity: 4)
        for _ in 0..<2 {
            await #expect(throws: MediaError.self) {
                try await cache.info(for: path) { try await MediaProbe.probeUncached(path) }
            }
        }
        #expect(await cache.count == 0)
    }

    @Test func theOldestEntriesGoBeyondCapacity() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = ProbeCache(capacity: 2)
        for i in 0..<4 {
            let path = dir.appendingPathComponent("t\(i).wav").path
            try await makeTone(at: path, frequency: 300 + 100 * i)
            _ = try await cache.info(for: path) { try await MediaProbe.probeUncached(path) }
        }
        #expect(await cache.count == 2)
    }

    @Test func aMissingFileNamesThePath() async throws {
        await #expect(throws: MediaError.unreadable(path: "/nonexistent/klip.wav", detail: "no such file")) {
            try await MediaProbe.probe("/nonexistent/klip.wav")
        }
    }
}
