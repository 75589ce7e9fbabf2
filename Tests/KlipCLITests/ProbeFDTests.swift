import Foundation
import KlipMedia
import Testing

/// Issue 9, "fds": every `kling.probe` cost two fds, so under `ulimit -n 1024` the 496th failed.
@Suite struct ProbeFDTests {
    @Test func twoThousandProbesUnderNofile256() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("klip-probe-fd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: CLIRunner.root.appendingPathComponent("media/speech.wav").path,
                                         toPath: folder.appendingPathComponent("speech.wav").path)
        let script = folder.appendingPathComponent("probe.lua")
        try """
        local ok = 0
        for i = 1, 2000 do
          local info = kling.probe("speech.wav")
          if info.has_audio and info.duration > 0 then ok = ok + 1 end
        end
        print("probed " .. ok)
        """.write(to: script, atomically: true, encoding: .utf8)
        let cli = try CLIRunner()
        let output = try await ProcessRunner.run("/usr/bin/prlimit", ["--nofile=256:256", "--", CLIRunner.binary, "run", script.path],
                                                 environment: cli.environment, currentDirectory: folder.path, stderrLimit: 20_000)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(String(decoding: output.stdout, as: UTF8.self).contains("probed 2000"), "\(output.stderr)")
    }
}
