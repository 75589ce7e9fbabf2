import Foundation
import KlipMedia

/// How loud the inserted audio is during each video frame, 0...1: the level in dB mapped
/// over a 30 dB range, smoothed to open fast and close slower (a mouth snaps open on a
/// syllable and relaxes after it). The renderer drives the mouth with it and `SyncMeter`
/// correlates against it, so both compute it here, the same way.
public struct LoudnessEnvelope: Sendable, Equatable {
    /// One value per video frame (frame n covers n / fps ... (n + 1) / fps).
    public var values: [Double]
    /// Frames whose time overlaps the inserted audio; every other frame is 0.
    public var insertedFrames: Range<Int>

    /// Level (dBFS of the frame's RMS) that fully opens the mouth, and the range below it.
    public static let ceilingDB = -12.0
    public static let rangeDB = 30.0
    /// Per-frame smoothing: the share of the step taken when getting louder / quieter.
    public static let attack = 0.8
    public static let release = 0.35

    public subscript(frame: Int) -> Double { frame >= 0 && frame < values.count ? values[frame] : 0 }

    /// The envelope of `audioPath` clipped to `soundStartMs..<soundEndMs`, scaled by
    /// `volume` and inserted at `insertMs` of a video of `durationMs` at `fps`.
    public static func compute(audioPath: String, soundStartMs: Int, soundEndMs: Int, insertMs: Int, volume: Double,
                               fps: Double, durationMs: Int) async throws -> LoudnessEnvelope {
        guard soundEndMs > soundStartMs, soundStartMs >= 0, insertMs >= 0, fps > 0 else {
            throw EngineError.inputRejected("sound range \(soundStartMs)-\(soundEndMs) ms inserted at \(insertMs) ms is not a valid clip")
        }
        func sec(_ ms: Int) -> String { String(format: "%.3f", Double(ms) / 1000) }
        let filter = "atrim=start=\(sec(soundStartMs)):end=\(sec(soundEndMs)),asetpts=PTS-STARTPTS,aresample=48000,"
            + "volume=\(String(format: "%.4f", volume))"
        let output: ProcessOutput
        do {
            output = try await ProcessRunner.run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-i", audioPath, "-map", "0:a:0",
                                                            "-af", filter, "-ac", "1", "-ar", "48000", "-f", "f32le", "pipe:1"])
        } catch { throw EngineError.from(error) }
        guard output.status == 0 else { throw EngineError.media("\(audioPath): cannot be decoded (\(output.stderr.suffix(300)))") }
        let samples: [Float] = output.stdout.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return envelope(samples: samples, sampleRate: 48000, insertMs: insertMs, soundMs: soundEndMs - soundStartMs,
                        fps: fps, durationMs: durationMs)
    }

    /// The envelope of already decoded mono samples (the clipped, scaled sound).
    public static func envelope(samples: [Float], sampleRate: Int, insertMs: Int, soundMs: Int, fps: Double,
                                durationMs: Int) -> LoudnessEnvelope {
        let frameCount = max(0, Int((Double(durationMs) * fps / 1000).rounded(.up)))
        let endMs = min(durationMs, insertMs + min(soundMs, samples.count * 1000 / max(1, sampleRate)))
        let firstFrame = min(frameCount, Int((Double(insertMs) * fps / 1000).rounded(.down)))
        let lastFrame = min(frameCount, Int((Double(endMs) * fps / 1000).rounded(.up)))
        var values = [Double](repeating: 0, count: frameCount)
        var smoothed = 0.0
        for n in firstFrame..<max(firstFrame, lastFrame) {
            // The frame's window on the sound's own clock.
            let from = (Double(n) / fps - Double(insertMs) / 1000) * Double(sampleRate)
            let to = (Double(n + 1) / fps - Double(insertMs) / 1000) * Double(sampleRate)
            let a = max(0, Int(from.rounded())), b = min(samples.count, Int(to.rounded()))
            var level = 0.0
            if b > a {
                var sum = 0.0
                for i in a..<b { sum += Double(samples[i]) * Double(samples[i]) }
                let rms = (sum / Double(b - a)).squareRoot()
                let db = 20 * log10(max(rms, 1e-9))
                level = min(1, max(0, (db - (ceilingDB - rangeDB)) / rangeDB))
            }
            smoothed += (level > smoothed ? attack : release) * (level - smoothed)
            values[n] = smoothed
        }
        return LoudnessEnvelope(values: values, insertedFrames: firstFrame..<max(firstFrame, lastFrame))
    }
}
