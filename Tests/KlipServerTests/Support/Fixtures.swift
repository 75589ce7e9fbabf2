import Foundation
import KlipMedia

/// Test media: the repository's samples (media/), and clips that break a limit, made once
/// per test run with ffmpeg in a temp directory.
actor Fixtures {
    static let shared = Fixtures()
    /// One ffmpeg run per clip, shared by every caller: the actor is reentrant across the
    /// await, so a plain cache let two tests write the same file at once (and one copy it half made).
    private var made: [String: Task<String, any Error>] = [:]
    let dir: URL = FileManager.default.temporaryDirectory.appendingPathComponent("klip-server-fixtures-\(getpid())")

    /// The repository's sample media (made by scripts/make-media).
    static let repoMedia = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("media")

    /// 10 s, 1280x720, one face (the astronaut) for the whole clip, with an audio track.
    func faceVideo() async throws -> String { Self.repoMedia.appendingPathComponent("one-face.mp4").path }
    /// 3.5 s of espeak speech, wav.
    func sound() async throws -> String { Self.repoMedia.appendingPathComponent("speech.wav").path }

    /// 3 s, 320x240: under Kling's 512 px minimum.
    func smallVideo() async throws -> String {
        try await make("small.mp4", ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
                                     "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast"])
    }
    /// 1 s, 640x640: under Kling's 2 s minimum.
    func shortVideo() async throws -> String {
        try await make("short.mp4", ["-f", "lavfi", "-i", "testsrc=size=640x640:rate=25:duration=1",
                                     "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast"])
    }
    /// 1 s, mp3: under Kling's 2 s minimum.
    func shortSound() async throws -> String {
        try await make("short.mp3", ["-f", "lavfi", "-i", "sine=frequency=220:duration=1", "-c:a", "libmp3lame", "-b:a", "64k"])
    }

    private func make(_ name: String, _ args: [String]) async throws -> String {
        if let making = made[name] { return try await making.value }
        let dir = dir
        let making = Task {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent(name).path
            try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + args + [path])
            return path
        }
        made[name] = making
        return try await making.value
    }
}

func temporaryDirectory(_ label: String = "state") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("klip-server-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.resolvingSymlinksInPath()
}
