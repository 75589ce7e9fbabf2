import Foundation
import KlipMedia
import Testing

/// Open pipe fds of this process (`/proc/self/fd`). Only pipes: the suites of the same test
/// process open sockets and files all the time, while their pipes live only as long as a
/// subprocess runs, so a leak stands out from that noise.
func openFDCount() -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return names.filter { name in
        ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")) ?? "").hasPrefix("pipe:")
    }.count
}

/// A fresh temporary directory, removed by the caller's `defer`.
func makeTempDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("klip-media-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A short test clip made by ffmpeg's own sources: 2 s of 320x240 video at 25 fps with a tone.
func makeClip(in directory: URL, name: String = "clip.mp4") async throws -> String {
    let path = directory.appendingPathComponent(name).path
    try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y",
                                             "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25",
                                             "-f", "lavfi", "-i", "sine=duration=2",
                                             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                             "-c:a", "aac", "-shortest", path])
    return path
}

/// A 1 s WAV tone.
func makeTone(at path: String, frequency: Int = 440) async throws {
    try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi",
                                             "-i", "sine=frequency=\(frequency):duration=1", path])
}

/// The pipe fds `body` left open, in a process where nothing else opens pipes (see
/// `FDTestProcess`). A tool's ends close when it is reaped, a moment after the call returns,
/// so the count is taken again (for up to two minutes) while it is at or over `bound`.
func fdGrowth(settlingBelow bound: Int, _ body: () async throws -> Void) async rethrows -> Int {
    let before = await settledFDCount()
    try await body()
    var growth = openFDCount() - before
    let deadline = ContinuousClock.now + .seconds(120)
    while growth >= bound, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(50))
        growth = openFDCount() - before
    }
    return growth
}

/// The fewest pipe fds over a few samples, so a burst of another suite's pipes at the start
/// does not hide a leak.
private func settledFDCount() async -> Int {
    var fewest = openFDCount()
    for _ in 0..<4 {
        try? await Task.sleep(for: .milliseconds(50))
        fewest = min(fewest, openFDCount())
    }
    return fewest
}

/// The fd tests' own test process: this test binary again, running only SubprocessFDTests.
enum FDTestProcess {
    static let variable = "KLIP_FD_TESTS_ALONE"
    static var isAlone: Bool { ProcessInfo.processInfo.environment[variable] == "1" }

    static func run() async throws -> ProcessOutput {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = "1"
        return try await ProcessRunner.run(binary, ["--testing-library", "swift-testing", "--filter", "SubprocessFDTests"],
                                           environment: environment, stderrLimit: 8000)
    }
}
