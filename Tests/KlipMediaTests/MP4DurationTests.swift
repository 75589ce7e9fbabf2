import Foundation
@testable import KlipMedia
import Testing

/// The MP4 box reader must give the video duration ffprobe gives, or leave the file to ffprobe.
@Suite struct MP4DurationTests {
    static let video = ["-f", "lavfi", "-i", "testsrc=duration=3.37:size=320x240:rate=30000/1001"]
    static let sound = ["-f", "lavfi", "-i", "sine=duration=4.1"]
    static let x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]

    /// What users' files are made like: B-frames (a start delay cut by an edit), moov last or
    /// first, no edit list, a MOV, a rotated phone video, audio longer than the video, frame
    /// rates that do not divide a second.
    static let readable: [(name: String, args: [String])] = [
        ("b-frames.mp4", video + sound + x264 + ["-preset", "medium", "-c:a", "aac", "-shortest"]),
        ("faststart.mp4", video + x264 + ["-preset", "ultrafast", "-movflags", "+faststart"]),
        ("no-editlist.mp4", video + x264 + ["-preset", "medium", "-use_editlist", "0"]),
        ("quicktime.mov", video + sound + x264 + ["-preset", "fast", "-c:a", "aac"]),
        ("rotated.mp4", video + x264 + ["-preset", "ultrafast", "-metadata:s:v:0", "rotate=90"]),
        ("longer-audio.mp4", video + sound + x264 + ["-preset", "veryfast", "-c:a", "aac"]),
        ("pal.mp4", ["-f", "lavfi", "-i", "testsrc=duration=2.52:size=640x360:rate=25"] + x264 + ["-preset", "ultrafast"]),
    ]

    @Test(arguments: readable) func aPlainMP4ReadsAsFFprobeSeesIt(_ file: (name: String, args: [String])) async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(file.name).path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + file.args + [path])
        let native = try #require(MP4Duration.videoMs(path: path), "\(file.name) was left to ffprobe")
        #expect(native == (try await MediaProbe.probeUncached(path)).videoDurationMs, "\(file.name)")
    }

    @Test func theSampleClipsReadAsFFprobeSeesThem() async throws {
        let media = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../media").standardized
        let clips = try FileManager.default.contentsOfDirectory(atPath: media.path).filter { $0.hasSuffix(".mp4") }
        #expect(clips.count >= 5)
        for clip in clips {
            let path = media.appendingPathComponent(clip).path
            #expect(MP4Duration.videoMs(path: path) == (try await MediaProbe.probeUncached(path)).videoDurationMs, "\(clip)")
        }
    }

    /// A fragmented MP4, a cut that starts between keyframes (an edit list of its own),
    /// audio alone, a WAV, text and an empty file: nil or ffprobe's answer, never another.
    @Test func otherFilesAreLeftToFFprobeOrAgree() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func make(_ name: String, _ args: [String]) async throws -> String {
            let path = dir.appendingPathComponent(name).path
            try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + args + [path])
            return path
        }
        let base = try await make("base.mp4", Self.video + Self.x264 + ["-preset", "medium", "-g", "30"])
        let fragmented = try await make("fragmented.mp4", Self.video + Self.x264 + ["-preset", "ultrafast", "-movflags", "frag_keyframe+empty_moov"])
        #expect(MP4Duration.videoMs(path: fragmented) == nil)
        let audio = try await make("voice.m4a", Self.sound + ["-c:a", "aac"])
        #expect(MP4Duration.videoMs(path: audio) == nil)
        let wav = try await make("voice.wav", Self.sound)
        #expect(MP4Duration.videoMs(path: wav) == nil)
        let cut = try await make("cut.mp4", ["-ss", "0.55", "-i", base, "-c", "copy"])
        if let native = MP4Duration.videoMs(path: cut) {
            #expect(native == (try await MediaProbe.probeUncached(cut)).videoDurationMs)
        }
        let text = dir.appendingPathComponent("notes.mp4").path
        try Data("not a movie at all, just some words".utf8).write(to: URL(fileURLWithPath: text))
        #expect(MP4Duration.videoMs(path: text) == nil)
        let empty = dir.appendingPathComponent("empty.mp4").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(MP4Duration.videoMs(path: empty) == nil)
        #expect(MP4Duration.videoMs(path: dir.appendingPathComponent("missing.mp4").path) == nil)
    }
}
