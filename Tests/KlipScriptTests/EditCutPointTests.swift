import Foundation
import KlipMedia
import Testing
@testable import KlipScript

/// Where kling.edit.dub splits speech longer than Kling allows: in a pause with the chosen
/// face on screen on both sides of the cut, else (said in the log) in the best cut left.
/// A 66 s clip of the astronaut whose face leaves for 4.8 s (ground truth: hidden on frames
/// 1390-1509, 55.6-60.4 s) right where the pause-only rule cut (the pause at 58.0 s).
@Suite struct EditCutPointTests {
    let media = EmulatorBackend.media.path
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-edit-cut-\(UUID().uuidString)")
    static let hidden = 55_600..<60_400

    func ffmpeg(_ name: String, _ args: [String]) async throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + args + [path])
        return path
    }

    func segments(_ value: LuaValue) -> [(start: Int, end: Int, cut: String, status: String)] {
        value.arrayItems.map { s in
            (Int(s["start_time"].number ?? -1), Int(s["end_time"].number ?? -1), s["cut"].stringValue ?? "", s["status"].stringValue ?? "")
        }
    }

    @Test func dubCutsInAPauseWhereTheFaceIsOnBothSides() async throws {
        let video = try await ffmpeg("gone.mp4", ["-stream_loop", "6", "-i", "\(media)/one-face.mp4", "-t", "66", "-vf",
            "scale=910:512,drawbox=x=0:y=0:w=iw:h=ih:color=0x2b3038:t=fill:enable='between(n,1390,1509)'",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let padded = try await ffmpeg("padded.wav", ["-i", "\(media)/speech.wav", "-af", "apad=pad_dur=1"])
        let speech = try await ffmpeg("long.wav", ["-stream_loop", "15", "-i", padded, "-c", "copy"])
        let cycle = try await MediaProbe.probe(speech).durationMs / 16
        let tone = try await ffmpeg("tone.wav", ["-f", "lavfi", "-i", "sine=frequency=300:duration=66"])
        try await withEmulatorBackend(render: false) { backend in
            let lines = Lines()
            let r = await runScript("""
            local talk = kling.edit.dub{video = "\(video)", audio = "\(speech)", out = "\(dir.path)/talk.mp4"}
            -- A steady tone: no pause anywhere.
            local tone = kling.edit.dub{video = "\(video)", audio = "\(tone)", out = "\(dir.path)/tone.mp4"}
            return talk.segments, tone.segments
            """, backend: backend, lines: lines)
            #expect(r.status == 0, "\(r.message)")
            let talk = segments(r.values.first ?? .nil), steady = segments(r.values.dropFirst().first ?? .nil)

            // Speech 0-66 s, pauses 3.5-4.5 s into each 4.5 s cycle; the split falls in one with
            // the face on screen from 1 s before to 1 s after, so not in the one at 58 s.
            #expect(talk.count == 2, "\(talk)")
            let cut = try #require(talk.last).start
            #expect(talk.last?.cut == "pause_face" && talk.allSatisfy { $0.status == "lipsynced" }, "\(talk)")
            #expect(cut % cycle >= 3450 && cut % cycle <= cycle, "cut at \(cut) ms, not in a pause")
            #expect(cut + 1000 <= Self.hidden.lowerBound && cut >= 45_000, "cut at \(cut) ms")
            #expect(talk.last?.end == 66_000)

            // No pause: the face on both sides, nearest an even split (33 s), and the log says so.
            #expect(steady.map(\.start) == [0, 33_000] && steady.last?.cut == "face", "\(steady)")
            #expect(steady.allSatisfy { $0.status == "lipsynced" }, "\(steady)")
            #expect(lines.text.contains("dub: cut at 33000 ms in speech, with the face on both sides"), "\(lines.text)")
            #expect(!lines.text.contains("cut at \(cut) ms"), "\(lines.text)")
        }
    }
}
