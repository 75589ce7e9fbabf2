import Foundation
import KlipMedia

/// Generated media for the kling.edit tests, made once per test run from the samples.
actor EditMedia {
    static let shared = EditMedia()
    private var made: [String: Task<String, any Error>] = [:]
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-edit-media-\(getpid())")
    static let samples = CLIRunner.root.appendingPathComponent("media")
    static let photos = samples.appendingPathComponent("source")

    /// 70 s, 910x512, 25 fps: the astronaut throughout (one-face.mp4 looped), the samples' sine.
    func longVideo() async throws -> String {
        try await make("long.mp4", ["-stream_loop", "6", "-i", sample("one-face.mp4"), "-t", "70", "-vf", "scale=910:512",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
    }

    /// 72 s of speech: speech.wav (3.5 s) and 1 s of silence, 16 times.
    func longSpeech() async throws -> String {
        let padded = try await make("padded.wav", ["-i", sample("speech.wav"), "-af", "apad=pad_dur=1", "-ar", "22050"])
        return try await make("long.wav", ["-stream_loop", "15", "-i", padded, "-c", "copy"])
    }

    /// 16 s: the astronaut (left) and Grace Hopper (right), two-faces.mp4 twice.
    func twoPeople() async throws -> String {
        try await make("two.mp4", ["-stream_loop", "1", "-i", sample("two-faces.mp4"), "-t", "16",
                                   "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
    }

    /// The same shot mirrored: Grace Hopper left, the astronaut right.
    func swapped() async throws -> String {
        try await make("swapped.mp4", ["-i", sample("two-faces.mp4"), "-vf", "hflip",
                                       "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
    }

    func sample(_ name: String) -> String { Self.samples.appendingPathComponent(name).path }
    static func photo(_ name: String) -> String { photos.appendingPathComponent(name).path }

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

enum KlipMediaRun {
    /// Runs a Python snippet (the PyPI packages scripts/setup installs) and returns its stdout.
    static func python(_ code: String, _ arguments: String...) async throws -> Data {
        try await ProcessRunner.check("python3", ["-c", code] + arguments).stdout
    }
}

/// Single frames as grey pixels, and how alike two are.
enum Frames {
    static func grab(_ path: String, frame: Int) async throws -> [UInt8] {
        let out = try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-i", path, "-vf", "select=eq(n\\,\(frame))",
                                                           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        return [UInt8](out.stdout)
    }

    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var sum = 0.0
        for (x, y) in zip(a, b) { let d = Double(x) - Double(y); sum += d * d }
        let mse = sum / Double(a.count)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }
}
