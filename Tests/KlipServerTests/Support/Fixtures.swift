import Foundation
import KlipMedia

/// Test media made once per test run with ffmpeg, in a temp directory.
actor Fixtures {
    static let shared = Fixtures()
    private var made: [String: String] = [:]
    let dir: URL = FileManager.default.temporaryDirectory.appendingPathComponent("klip-server-fixtures-\(getpid())")

    static let photo = "/work/shared/media/grace_hopper.jpg"

    /// 4 s, 512x600, a face (Grace Hopper), 440 Hz audio.
    func faceVideo() async throws -> String {
        try await make("face.mp4", ["-loop", "1", "-i", Self.photoPath, "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
                                    "-t", "4", "-r", "25", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-c:a", "aac", "-shortest"])
    }
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
    /// 3 s of speech-like tone, mp3.
    func sound() async throws -> String {
        try await make("sound.mp3", ["-f", "lavfi", "-i", "sine=frequency=220:duration=3", "-c:a", "libmp3lame", "-b:a", "64k"])
    }
    /// 1 s, mp3: under Kling's 2 s minimum.
    func shortSound() async throws -> String {
        try await make("short.mp3", ["-f", "lavfi", "-i", "sine=frequency=220:duration=1", "-c:a", "libmp3lame", "-b:a", "64k"])
    }

    static var photoPath: String {
        FileManager.default.fileExists(atPath: photo) ? photo : "Tests/KlipServerTests/grace_hopper.jpg"
    }

    private func make(_ name: String, _ args: [String]) async throws -> String {
        if let path = made[name] { return path }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + args + [path])
        made[name] = path
        return path
    }
}

func temporaryDirectory(_ label: String = "state") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("klip-server-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.resolvingSymlinksInPath()
}
