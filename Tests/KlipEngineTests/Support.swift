import Foundation
import KlipEngine
import KlipMedia
import Testing

/// The committed sample clips (scripts/make-media); their true face times are in media/README.md.
enum Media {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("media")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// One identifier for the whole test run: the model takes a second or more to load.
let sharedIdentifier = FaceIdentifier()

/// A fresh temporary directory, removed by the caller's `defer`.
func makeTempDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("klip-engine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs ffmpeg and fails the test with its stderr if it fails.
func ffmpeg(_ arguments: [String]) async throws {
    let output = try await ProcessRunner.run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments)
    try #require(output.status == 0, "ffmpeg failed: \(output.stderr)")
}

/// The audio of a file as mono float samples at 48 kHz.
func decodePCM(_ path: String) async throws -> [Float] {
    let output = try await ProcessRunner.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:a:0",
                                                        "-ac", "1", "-ar", "48000", "-f", "f32le", "pipe:1"])
    try #require(output.status == 0, "decoding \(path) failed: \(output.stderr)")
    return output.stdout.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

/// Amplitude of the `frequency` component of `samples` in [fromMs, toMs) at 48 kHz
/// (a single DFT bin; windows holding whole periods separate the test tones exactly).
func amplitude(_ samples: [Float], frequency: Double, fromMs: Int, toMs: Int) -> Double {
    let start = max(0, fromMs * 48), end = min(samples.count, toMs * 48)
    guard end > start else { return 0 }
    var re = 0.0, im = 0.0
    for n in start..<end {
        let phase = 2 * Double.pi * frequency * Double(n) / 48000
        re += Double(samples[n]) * cos(phase)
        im -= Double(samples[n]) * sin(phase)
    }
    return 2 * (re * re + im * im).squareRoot() / Double(end - start)
}

/// Within `tolerance` of `expected`.
func near(_ value: Int, _ expected: Int, _ tolerance: Int) -> Bool { abs(value - expected) <= tolerance }
func near(_ value: Double, _ expected: Double, relative: Double) -> Bool { abs(value - expected) <= abs(expected) * relative }
