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

    /// Three clips whose audio are steady tones of different pitch, level and phase (so every
    /// join is a jump between two waveforms), one at 44.1 kHz stereo: the joined track, as
    /// ffmpeg decodes it, steps no more at a join than the tones themselves do, has no
    /// silence there, and holds the sum of the parts' samples within one frame each.
    @Test func concatJoinsAudioWithoutAClickOrAGap() async throws {
        let klip = try CLIRunner()
        let dir = klip.stateDir
        let parts: [(ms: Int, tone: String, layout: [String])] = [
            (2000, "0.5*sin(2*PI*440*t+1.3)", ["-ar", "48000", "-ac", "1"]),
            (1520, "0.25*sin(2*PI*330*t+4.0)", ["-ar", "44100", "-ac", "2"]),
            (2200, "0.8*sin(2*PI*220*t+2.2)", ["-ar", "48000", "-ac", "1"]),
        ]
        var paths: [String] = []
        for (i, p) in parts.enumerated() {
            let path = "\(dir)/tone-\(i).mp4", seconds = String(Double(p.ms) / 1000)
            try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=\(seconds)",
                "-f", "lavfi", "-i", "aevalsrc=\(p.tone):s=48000:d=\(seconds)",
                "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "192k"]
                + p.layout + [path])
            paths.append(path)
        }
        let list = paths.map { "\"\($0)\"" }.joined(separator: ", ")
        let r = try await klip("run", "--media-root", dir, "-e", "kling.edit.concat({\(list)}, \"\(dir)/joined.mp4\")")
        #expect(r.status == 0, "\(r.stderr)")

        let audio = try await DecodedAudio.decode(dir + "/joined.mp4")
        let total = parts.map(\.ms).reduce(0, +)
        #expect(abs(audio.samples.count - audio.index(ms: total)) <= audio.index(ms: parts.count * Self.frame),
                "\(audio.samples.count) samples for \(total) ms")
        var at = 0
        for p in parts.dropLast() {
            at += p.ms
            let join = audio.join(atMs: at)
            // Joined without the fades, these clips jump 0.63 (at 2000 ms) and 0.26 (at 3520 ms);
            // the tones' own steepest step is 0.011-0.029 a sample. The margin is AAC's ripple
            // around the joins' 3 ms fades, measured at up to 0.027 over the tone's own step.
            #expect(join.step <= join.natural + 0.06, "join at \(at) ms: step \(join.step), the tones' own \(join.natural)")
            #expect(join.quietMs < 2, "join at \(at) ms: \(join.quietMs) ms of silence")
        }
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
