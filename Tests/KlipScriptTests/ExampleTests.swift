import Foundation
import Testing
@testable import KlipScript

/// The scripts in scripts/examples, run as `klip run` runs them, on the sample media.
@Suite(.serialized) struct ExampleTests {
    static let examples = EmulatorBackend.media.deletingLastPathComponent().appendingPathComponent("scripts/examples")
    let media = EmulatorBackend.media.path

    func runExample(_ name: String, _ arguments: [String], backend: EmulatorBackend) async -> Run {
        let lines = Lines()
        let options = ScriptOptions(source: .file(Self.examples.appendingPathComponent(name).path), arguments: arguments,
                                    diagnostics: { lines.add($0) }, liveProgress: false)
        let result = await ScriptRunner(options: options, backend: backend).run()
        return Run(result: result, lines: lines)
    }

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("klip-ex-\(UUID().uuidString)-\(name)").path
    }

    @Test func everyExampleCompiles() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".lua") }
        #expect(files.count >= 4)
        for file in files {
            let code = try String(contentsOfFile: Self.examples.appendingPathComponent(file).path, encoding: .utf8)
            let r = await run("local f, err = load(...) return f ~= nil, err", arguments: [code])
            #expect(r.values.first == .bool(true), "\(file): \(r.values)")
        }
    }

    @Test func longestAndLargestFace() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let out1 = temp("longest.mp4"), out2 = temp("largest.mp4")
            let r1 = await runExample("longest-face.lua", ["\(media)/partial-face.mp4", "\(media)/speech.wav", out1], backend: backend)
            #expect(r1.status == 0, "\(r1.message)")
            #expect(FileManager.default.fileExists(atPath: out1))
            let r2 = await runExample("largest-face.lua", ["\(media)/two-faces.mp4", "\(media)/speech.wav", out2], backend: backend)
            #expect(r2.status == 0, "\(r2.message)")
            #expect(FileManager.default.fileExists(atPath: out2))
            #expect(r2.lines.text.contains("crop"))
        }
    }

    @Test func fitAudioCentresTheClipInTheInterval() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let out = temp("fit.mp4")
            let r = await runExample("fit-audio.lua", ["\(media)/partial-face.mp4", "\(media)/speech.wav", "0", out], backend: backend)
            #expect(r.status == 0, "\(r.message)")
            // partial-face: the face is on screen 3000-7000 ms; the clip is centred in it.
            guard r.values.count == 2, let insert = r.values[0].integer, let clip = r.values[1].integer else {
                Issue.record("values: \(r.values)")
                return
            }
            #expect(clip >= 2000 && clip <= 4100)
            let before = insert - 3000, after = 7000 - (insert + clip)
            #expect(abs(before - after) <= 150, "insert \(insert) clip \(clip)")
        }
    }

    @Test func batchFromAManifest() async throws {
        try await withEmulatorBackend(render: false) { backend in
            let dir = temp("batch")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let manifest = """
            video,audio,face,insert,out
            \(media)/two-faces.mp4,\(media)/speech.wav,longest,,a.mp4
            \(media)/two-faces.mp4,\(media)/speech.wav,largest,500,b.mp4
            \(media)/one-face.mp4,\(media)/speech.wav,,,c.mp4
            """
            try manifest.write(toFile: dir + "/manifest.csv", atomically: true, encoding: .utf8)
            let r = await runExample("batch.lua", [dir + "/manifest.csv", dir + "/out"], backend: backend)
            #expect(r.status == 0, "\(r.message)\n\(r.lines.text)")
            for name in ["a.mp4", "b.mp4", "c.mp4"] {
                #expect(FileManager.default.fileExists(atPath: dir + "/out/" + name), "\(name)")
            }
            #expect(r.result.createdTasks.count == 3)
        }
    }
}
