import Foundation
import Testing

/// kling.edit.dialogue on a 16 s two-person shot: two turns, each lip-synced on a short
/// segment around it, the speaker found by kling.match from a photo; the rest untouched.
@Suite(.serialized) struct DialogueTests {
    @Test func eachTurnPaysOnlyForItsOwnSegmentAndMovesTheRightMouth() async throws {
        let klip = try CLIRunner()
        let video = try await EditMedia.shared.twoPeople()
        let speech = CLIRunner.media("speech.wav")
        let out = klip.stateDir + "/dialogue.mp4", otio = klip.stateDir + "/dialogue.otio"
        let r = try await klip("run", "--media-root", CLIRunner.root.path, "--media-root", EditMedia.shared.dir.path,
                               "--media-root", klip.stateDir, "-e", """
        local r = kling.edit.dialogue{video = "\(video)", out = "\(out)", otio = "\(otio)", turns = {
          {face = "\(EditMedia.photo("astronaut.png"))", audio = "\(speech)", insert = 1000},
          {face = "\(EditMedia.photo("grace_hopper.jpg"))", audio = "\(speech)", audio_end = 3000, insert = 9000},
        }}
        print("billed", r.billed_ms, r.duration)
        for i, t in ipairs(r.turns) do print("turn", i, t.face_id, t.start_time, t.end_time, t.task_id) end
        local ok, err = pcall(kling.edit.dialogue, {video = "\(video)", out = "\(out)", turns = {
          {face = "\(EditMedia.photo("astronaut.png"))", audio = "\(speech)", insert = 1000},
          {face = "\(EditMedia.photo("grace_hopper.jpg"))", audio = "\(speech)", insert = 3000}}})
        print("overlap", ok, err.field, err.message)
        """)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let billed = try #require(lines.first { $0.first == "billed" })
        let turns = lines.filter { $0.first == "turn" }
        #expect(turns.count == 2)
        #expect(turns.map { $0[2] } == ["0", "1"], "\(turns)") // the astronaut is face 0, Grace Hopper 1
        // Turn 1: 1000 ms to the end of speech.wav (just over 3.5 s) plus half a second each
        // side, widened to frame boundaries (500 ms is frame 12.5: from 480 ms, to 5040 ms);
        // turn 2: 9000-12000 ms likewise (to 12520 ms).
        #expect(turns.first.map { [$0[3], $0[4]] } == ["480", "5040"])
        #expect(turns.last.map { [$0[3], $0[4]] } == ["8480", "12520"])
        #expect(billed == ["billed", "8600", "16000"])
        #expect(r.stderr.components(separatedBy: "): submitted").count - 1 == 2)
        #expect(r.stderr.contains("billed 8.6 s of a 16.0 s video"))
        let overlap = try #require(lines.first { $0.first == "overlap" })
        #expect(overlap.count == 4 && overlap[1] == "false" && overlap[2] == "turns")
        #expect(overlap.last?.contains("turns[1] and turns[2] overlap") == true)

        // Each turn moves its speaker's mouth and not the other's; frames outside stay.
        for (insert, end, speaker, other) in [(1000, 3500, "0", "1"), (9000, 3000, "1", "0")] {
            let m = try await klip("measure", out, "--audio", speech, "--insert", "\(insert)", "--end", "\(end)",
                                   "--input", video, "--json")
            #expect(m.status == 0, "\(m.stderr)")
            let faces = try JSONDecoder().decode(MeasureJSON.self, from: Data(m.stdout.utf8)).faces
            let s = try #require(faces.first { $0.face_id == speaker }), o = try #require(faces.first { $0.face_id == other })
            #expect(s.r >= 0.7, "turn at \(insert): speaker r = \(s.r)")
            #expect(o.r <= 0.3, "turn at \(insert): other r = \(o.r)")
        }
        let outside = try await klip("measure", out, "--audio", speech, "--insert", "13000", "--end", "2500",
                                     "--input", video, "--json")
        for face in try JSONDecoder().decode(MeasureJSON.self, from: Data(outside.stdout.utf8)).faces {
            #expect(abs(face.r) <= 0.3, "untouched range: face \(face.face_id) r = \(face.r)")
        }

        // Outside both segments the frames are the original's (re-encoded once).
        for frame in [5, 200, 380] {
            let a = try await Frames.grab(out, frame: frame), b = try await Frames.grab(video, frame: frame)
            #expect(Frames.psnr(a, b) >= 38, "frame \(frame): PSNR \(Frames.psnr(a, b))")
        }

        // The splices (untouched to lip-synced and back) do not click.
        let audio = try await DecodedAudio.decode(out)
        for at in [480, 5040, 8480, 12520] {
            let join = audio.join(atMs: at)
            #expect(join.step <= join.natural + 0.06, "splice at \(at) ms: step \(join.step), around it \(join.natural)")
        }

        let ranges = try await OTIO.ranges(otio)
        #expect(ranges.totalFrames == 400)
        #expect(ranges.clips.map(\.frames) == [12, 114, 86, 101, 87])
        #expect(ranges.clips.map(\.start) == [0, 0, 126, 0, 313])
        #expect(ranges.clips[1].url.contains("synced-001") && ranges.clips[3].url.contains("synced-002"))
        #expect(ranges.clips[2].url.hasSuffix("two.mp4"))
    }
}
