import Foundation
import KlipMedia
import Testing

/// kling.edit.cut / concat and kling.silences: real ffmpeg on generated media.
@Suite struct EditPrimitiveTests {
    static let frame = 40 // ms at 25 fps

    @Test func cutIsFrameExactAndConcatConformsAndKeepsTheSum() async throws {
        let klip = try CLIRunner()
        let video = try await EditMedia.shared.longVideo()
        let dir = klip.stateDir
        // A 30 fps, 640x640 clip without audio: conformed to the first clip's size and rate.
        let odd = dir + "/odd.mp4"
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                                                 "testsrc=size=640x640:rate=30:duration=2.5", "-pix_fmt", "yuv420p", odd])
        let r = try await klip("run", "--media-root", dir, "-e", """
        local e = require "kling.edit"
        assert(e == kling.edit)
        local a = e.cut("\(video)", 1010, 3530, "\(dir)/a.mp4")   -- frames 25..88: 1000-3520 ms
        local b = e.cut("\(video)", 3520, 6000, "\(dir)/b.mp4")
        e.concat({a, b, "\(odd)"}, "\(dir)/joined.mp4")
        local ok, err = pcall(e.cut, "\(video)", 5000, 4000, "\(dir)/x.mp4")
        print(ok, err.field)
        """)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("false\tend_ms"))
        let a = try await MediaProbe.probe(dir + "/a.mp4"), b = try await MediaProbe.probe(dir + "/b.mp4")
        #expect(a.videoDurationMs == 2520 && a.video?.fps == 25, "\(a)")
        #expect(b.videoDurationMs == 2480, "\(b)")
        #expect(abs((a.audioDurationMs ?? 0) - 2520) <= 25 && abs((b.audioDurationMs ?? 0) - 2480) <= 25)
        let joined = try await MediaProbe.probe(dir + "/joined.mp4")
        #expect(joined.video?.width == 910 && joined.video?.height == 512 && joined.video?.fps == 25)
        let sum = 2520 + 2480 + 2500
        #expect(abs((joined.videoDurationMs ?? 0) - sum) <= 3 * Self.frame, "\(joined)")
        #expect(abs((joined.audioDurationMs ?? 0) - (joined.videoDurationMs ?? 0)) <= Self.frame, "\(joined)")

        // The first cut's frames are the source's frames 25..88: compare a frame in the middle.
        let fromCut = try await Frames.grab(dir + "/a.mp4", frame: 30), fromSource = try await Frames.grab(video, frame: 55)
        #expect(Frames.psnr(fromCut, fromSource) > 35)
        // The audio runs on across the joins: the samples' sine has no pause, nor has the join.
        let gaps = try await MediaEdit.silences(dir + "/joined.mp4", minMs: 20, thresholdDb: -55)
        #expect(gaps.allSatisfy { $0.start >= 5000 - Self.frame }, "\(gaps)") // only the silent third clip
    }

    @Test func silencesFindThePausesOfASpeechTrack() async throws {
        let klip = try CLIRunner()
        let speech = try await EditMedia.shared.longSpeech()
        let r = try await klip("run", "-e", """
        local s = kling.silences("\(speech)", {min_ms = 500})
        print(#s)
        for _, p in ipairs(s) do print(p.start_time, p.end_time) end
        local ok, err = pcall(kling.silences, "\(speech)", {threshold_db = 3})
        print(ok, err.field)
        """)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.last == "false\tthreshold_db")
        // A pause after each of the 16 sayings (3.5 s of speech, 1 s of silence); the last runs to the end.
        let pauses = lines.dropFirst().dropLast().map { $0.split(separator: "\t").compactMap { Int($0) } }
        #expect(pauses.count == 16, "\(lines)")
        let cycle = try await MediaProbe.probe(speech).durationMs / 16
        for (i, p) in pauses.enumerated() where p.count == 2 {
            let end = (i + 1) * cycle
            #expect(abs(p[1] - end) <= 150 || i == 15, "pause \(i): \(p)")
            #expect(p[1] - p[0] >= 900, "pause \(i): \(p)")
        }
    }
}
