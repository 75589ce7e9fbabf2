import Foundation

/// Frame-exact edits through ffmpeg: a range cut out, clips joined, the pauses of a track.
/// Every output is re-encoded (H.264 + AAC in MP4), so cuts fall on any frame, not on
/// keyframes.
public enum MediaEdit {
    /// A pause: milliseconds from the start of the file.
    public struct Silence: Sendable, Equatable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) { self.start = start; self.end = end }
    }

    static let encode = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
                         "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-movflags", "+faststart"]

    /// The frames of `video` from `startMs` to `endMs` (each rounded to the nearest frame
    /// boundary; the end exclusive), with the audio of exactly that span (silence where the
    /// file has none). Returns the span taken, in frames.
    @discardableResult
    public static func cut(_ video: String, startMs: Int, endMs: Int, to out: String) async throws -> Range<Int> {
        let info = try await MediaProbe.probe(video)
        guard let v = info.video, v.fps > 0 else { throw MediaError.missingStream(path: video, kind: "video") }
        let count = Int((Double(info.videoDurationMs ?? info.durationMs) * v.fps / 1000).rounded())
        let f = Int((Double(startMs) * v.fps / 1000).rounded()), g = min(count, Int((Double(endMs) * v.fps / 1000).rounded()))
        guard startMs >= 0, g > f else {
            throw MediaError.invalidMedia(path: video, detail: "the range \(startMs)-\(endMs) ms holds no frame of its \(info.durationMs) ms")
        }
        // Seek to a second before, then trim on exact times: video between frame centres
        // (no float tie at a frame's own timestamp), audio on the frame boundaries.
        let seek = max(0, Double(f) / v.fps - 1)
        let t0 = Double(f) / v.fps - seek, t1 = Double(g) / v.fps - seek, half = 0.5 / v.fps
        var args = ["-nostdin", "-hide_banner", "-v", "error", "-y", "-ss", String(format: "%.6f", seek), "-i", video]
        let audio: String
        if info.audio == nil {
            args += ["-f", "lavfi", "-t", String(format: "%.6f", t1 - t0), "-i", "anullsrc=r=48000:cl=stereo"]
            audio = "[1:a]anull[a]"
        } else {
            audio = "[0:a:0]aresample=48000,apad,atrim=start=\(fmt(t0)):end=\(fmt(t1)),asetpts=N/SR/TB[a]"
        }
        let frames = "[0:v:0]trim=start=\(fmt(max(0, t0 - half))):end=\(fmt(t1 - half)),setpts=PTS-STARTPTS[v]"
        args += ["-filter_complex", frames + ";" + audio, "-map", "[v]", "-map", "[a]", "-r", rational(v.fps)] + encode + [out]
        try await ffmpeg(args, file: video)
        return f..<g
    }

    /// The audio of `path` from `startMs` to `endMs`, as 16-bit WAV (silence past its end).
    public static func cutAudio(_ path: String, startMs: Int, endMs: Int, to out: String) async throws {
        let info = try await MediaProbe.probe(path)
        guard info.audio != nil else { throw MediaError.missingStream(path: path, kind: "audio") }
        guard startMs >= 0, endMs > startMs else {
            throw MediaError.invalidMedia(path: path, detail: "the range \(startMs)-\(endMs) ms is empty")
        }
        let af = "apad,atrim=start=\(seconds(startMs)):end=\(seconds(endMs)),asetpts=N/SR/TB"
        try await ffmpeg(["-nostdin", "-hide_banner", "-v", "error", "-y", "-i", path, "-map", "0:a:0", "-af", af,
                          "-c:a", "pcm_s16le", "-ar", "44100", "-ac", "1", out], file: path)
    }

    static func fmt(_ s: Double) -> String { String(format: "%.6f", s) }

    /// `paths` joined in order. Later clips are scaled (letterboxed) to the first clip's size
    /// and resampled to its frame rate. Each clip's audio is padded or trimmed to its
    /// video's length, so the track stays in step, and faded over 3 ms at each join so
    /// no click is heard where two waveforms meet.
    public static func concat(_ paths: [String], to out: String) async throws {
        guard let first = paths.first else { throw MediaError.invalidMedia(path: out, detail: "nothing to join") }
        var infos: [MediaInfo] = []
        for p in paths {
            let info = try await MediaProbe.probe(p)
            guard info.video != nil else { throw MediaError.missingStream(path: p, kind: "video") }
            infos.append(info)
        }
        let base = infos[0].video!
        // Mono stays mono: an upmix would play the first clip 3 dB quieter than it was.
        let layout = (infos[0].audio?.channels ?? 2) == 1 ? "mono" : "stereo"
        let fps = rational(base.fps)
        var args = ["-nostdin", "-hide_banner", "-v", "error", "-y"]
        for p in paths { args += ["-i", p] }
        var filters: [String] = [], labels = ""
        for (i, info) in infos.enumerated() {
            let ms = info.videoDurationMs ?? info.durationMs
            let d = seconds(ms)
            filters.append("[\(i):v:0]scale=\(base.width):\(base.height):force_original_aspect_ratio=decrease,"
                + "pad=\(base.width):\(base.height):(ow-iw)/2:(oh-ih)/2,setsar=1,fps=\(fps),format=yuv420p,"
                + "trim=duration=\(d),setpts=PTS-STARTPTS[v\(i)]")
            let source = info.audio == nil ? "anullsrc=r=48000:cl=\(layout),atrim=duration=\(d)"
                : "[\(i):a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=\(layout),apad,atrim=duration=\(d)"
            let fadeOut = max(0, Double(ms) / 1000 - 0.003)
            filters.append("\(source),asetpts=N/SR/TB,afade=t=in:d=0.003,afade=t=out:st=\(fadeOut):d=0.003[a\(i)]")
            labels += "[v\(i)][a\(i)]"
        }
        filters.append("\(labels)concat=n=\(paths.count):v=1:a=1[v][a]")
        args += ["-filter_complex", filters.joined(separator: ";"), "-map", "[v]", "-map", "[a]"] + encode + [out]
        try await ffmpeg(args, file: first)
    }

    /// The pauses of the audio in `path` at least `minMs` long, quieter than `thresholdDb`.
    public static func silences(_ path: String, minMs: Int = 300, thresholdDb: Double = -35) async throws -> [Silence] {
        let info = try await MediaProbe.probe(path)
        guard info.audio != nil else { throw MediaError.missingStream(path: path, kind: "audio") }
        let args = ["-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0",
                    "-af", "silencedetect=noise=\(thresholdDb)dB:d=\(seconds(minMs))", "-f", "null", "-"]
        let output = try await ProcessRunner.run("ffmpeg", args, stderrLimit: 4_000_000)
        guard output.status == 0 else { throw MediaError.toolFailed(tool: "ffmpeg", status: output.status, stderr: output.stderr) }
        return parseSilences(output.stderr, durationMs: info.audioDurationMs ?? info.durationMs)
    }

    static func parseSilences(_ log: String, durationMs: Int) -> [Silence] {
        var found: [Silence] = []
        var open: Int?
        for line in log.split(separator: "\n") {
            if let v = value(after: "silence_start: ", in: line) { open = max(0, v) }
            else if let v = value(after: "silence_end: ", in: line), let s = open {
                found.append(Silence(start: s, end: min(v, durationMs)))
                open = nil
            }
        }
        if let s = open, s < durationMs { found.append(Silence(start: s, end: durationMs)) }
        return found
    }

    private static func value(after key: String, in line: Substring) -> Int? {
        guard let r = line.range(of: key) else { return nil }
        let number = line[r.upperBound...].prefix { "0123456789.-".contains($0) }
        return Double(number).map { Int(($0 * 1000).rounded()) }
    }

    private static func ffmpeg(_ args: [String], file: String) async throws {
        let output = try await ProcessRunner.run("ffmpeg", args)
        guard output.status == 0 else {
            throw MediaError.invalidMedia(path: file, detail: "ffmpeg: \(output.stderr.suffix(600))")
        }
    }

    static func seconds(_ ms: Int) -> String { String(format: "%.3f", Double(ms) / 1000) }

    /// A frame rate as ffmpeg reads it exactly: whole rates as integers, NTSC rates
    /// (29.97, 23.976, 59.94) as n*1000/1001.
    static func rational(_ fps: Double) -> String {
        if fps == fps.rounded() { return String(Int(fps)) }
        let ntsc = (fps * 1.001).rounded()
        if abs(ntsc / 1.001 - fps) < 0.001 { return "\(Int(ntsc) * 1000)/1001" }
        return String(fps)
    }
}
