import Foundation
import KlipMedia
import Testing

struct DubJSON: Decodable {
    struct Segment: Decodable { var start_time: Int; var end_time: Int; var status: String; var task_id: String?; var face_id: String? }
    var path: String
    var segments: [Segment]
    var billed_ms: Int
    var duration: Int
}

/// `klip dub` on a 70 s one-face video with a 72 s speech track inserted at 5 s: segments of
/// 2-60 s cut in pauses, the silent lead-in untouched, sync on the face, an OTIO timeline,
/// and a rerun that pays for nothing.
@Suite(.serialized) struct DubTests {
    @Test func aLongVideoIsDubbedInKlingValidSegments() async throws {
        let klip = try CLIRunner()
        let video = try await EditMedia.shared.longVideo(), speech = try await EditMedia.shared.longSpeech()
        let out = klip.stateDir + "/dub.mp4", otio = klip.stateDir + "/dub.otio"
        let first = try await klip("dub", video, "--audio", speech, "--insert", "5000", "--out", out, "--otio", otio, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let result = try JSONDecoder().decode(DubJSON.self, from: Data(first.stdout.utf8))
        #expect(result.duration == 70000)
        #expect(result.segments.first.map { ($0.start_time, $0.end_time, $0.status, $0.task_id) } ?? (0, 0, "", nil) == (0, 5000, "silent", nil))
        let synced = result.segments.filter { $0.status == "lipsynced" }
        #expect(synced.count == 2, "\(result.segments)")
        #expect(synced.allSatisfy { $0.task_id != nil && $0.face_id == "0" })
        #expect(result.billed_ms == 65000)
        for (a, b) in zip(result.segments, result.segments.dropFirst()) { #expect(a.end_time == b.start_time) }
        #expect(result.segments.last?.end_time == 70000)
        for s in result.segments { #expect((2000...60000).contains(s.end_time - s.start_time), "\(s)") }
        // The cut between the two synced segments lies in a pause of the speech (on the video's
        // timeline each 4.5 s cycle's pause is 3.5-4.5 s after the insert).
        let cycle = try await MediaProbe.probe(speech).durationMs / 16
        let cut = synced[0].end_time - 5000
        #expect(cut % cycle >= 3450 && cut % cycle <= cycle, "cut at \(cut) ms into the audio")
        #expect(first.stderr.components(separatedBy: "): submitted").count - 1 == 2)

        let info = try await klip("run", "-e", "local p = kling.probe('\(out)') print(p.duration, p.audio_duration, p.width, p.fps)")
        let numbers = info.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" }).compactMap { Double($0) }
        #expect(numbers.count == 4 && abs(numbers[0] - 70000) <= 40 && abs(numbers[1] - 70000) <= 40, "\(info.stdout)")

        // The splices between segments do not click.
        let audio = try await DecodedAudio.decode(out)
        for s in result.segments.dropFirst() {
            let join = audio.join(atMs: s.start_time)
            #expect(join.step <= join.natural + 0.06, "splice at \(s.start_time) ms: step \(join.step), around it \(join.natural)")
        }

        // Sync on the face over the dubbed range, the lead-in untouched.
        let measured = try await klip("measure", out, "--audio", speech, "--insert", "5000", "--input", video, "--json")
        #expect(measured.status == 0, "\(measured.stderr)")
        let face = try #require(try JSONDecoder().decode(MeasureJSON.self, from: Data(measured.stdout.utf8)).faces.first)
        #expect(face.r >= 0.7, "r = \(face.r)")
        #expect((face.psnr_outside ?? 0) >= 40, "PSNR outside \(face.psnr_outside ?? -1)")

        // The timeline, read by OpenTimelineIO itself.
        let check = try await OTIO.ranges(otio)
        #expect(check.tracks == ["Video", "Audio"])
        #expect(check.totalFrames == 1750)
        #expect(check.clips.first?.url.hasSuffix("long.mp4") == true && check.clips.first?.start == 0 && check.clips.first?.frames == 125)
        #expect(check.clips.dropFirst().allSatisfy { $0.url.contains("dub.mp4.parts/synced-") && $0.start == 0 })
        #expect(check.clips.map(\.frames) == result.segments.map { ($0.end_time - $0.start_time) / 40 })

        // A rerun creates no task: the journal answers.
        let again = try await klip("dub", video, "--audio", speech, "--insert", "5000", "--out", out, "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("): submitted"))
        #expect(again.stderr.components(separatedBy: "not created again").count - 1 == 2, "\(again.stderr)")
    }

    @Test func badInputNamesTheField() async throws {
        let klip = try CLIRunner()
        let missing = try await klip("dub", "media/one-face.mp4", "--audio", "media/nope.wav", "--out", klip.stateDir + "/x.mp4")
        #expect(missing.status != 0 && missing.stderr.contains("nope.wav"))
        let short = try await klip("dub", "media/one-face.mp4", "--audio", "media/speech.wav", "--insert", "9000",
                                   "--out", klip.stateDir + "/x.mp4")
        #expect(short.status != 0 && short.stderr.contains("audio"), "\(short.stderr)")
    }
}

/// An .otio file as OpenTimelineIO (the PyPI package) reads it.
enum OTIO {
    struct Clip: Decodable { var url: String; var start: Int; var frames: Int }
    struct Ranges: Decodable { var tracks: [String]; var totalFrames: Int; var clips: [Clip] }

    static func ranges(_ path: String) async throws -> Ranges {
        let code = """
        import json, sys, opentimelineio as otio
        t = otio.adapters.read_from_file(sys.argv[1])
        video, audio = t.tracks[0], t.tracks[1]
        assert [c.source_range for c in video] == [c.source_range for c in audio]
        print(json.dumps({"tracks": [k.kind for k in t.tracks], "totalFrames": round(t.duration().value),
            "clips": [{"url": c.media_reference.target_url, "start": round(c.source_range.start_time.value),
                       "frames": round(c.source_range.duration.value)} for c in video]}))
        """
        let output = try await KlipMediaRun.python(code, path)
        return try JSONDecoder().decode(Ranges.self, from: output)
    }
}
