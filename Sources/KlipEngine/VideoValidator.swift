import Foundation
import KlipMedia

/// Checks a video against the input limits and returns its facts.
public struct VideoValidator {
    /// Throws `EngineError.inputRejected` naming the broken limit, or `.media` when the
    /// file cannot be read as a video.
    public static func check(videoPath: String, limits: EngineLimits = .kling) async throws -> VideoFacts {
        let name = (videoPath as NSString).lastPathComponent
        let ext = (videoPath as NSString).pathExtension.lowercased()
        // A name without an extension (a download saved under an id) is judged by its container.
        if !ext.isEmpty, !limits.videoExtensions.contains(ext) {
            throw EngineError.inputRejected("video \(name) is .\(ext); Kling accepts \(Format.list(limits.videoExtensions))")
        }
        let displayed = try await DisplayedVideo.probe(videoPath)
        let info = displayed.info
        if ext.isEmpty, !info.formatName.contains("mp4"), !info.formatName.contains("mov") {
            throw EngineError.inputRejected("video \(name) is a \(info.formatName) file; Kling accepts \(Format.list(limits.videoExtensions))")
        }
        var facts = displayed.facts
        if info.sizeBytes == nil { facts.sizeBytes = Self.fileSize(videoPath) }
        if facts.sizeBytes > limits.videoMaxBytes {
            throw EngineError.inputRejected("video is \(Format.megabytes(facts.sizeBytes)); Kling accepts at most \(Format.megabytes(limits.videoMaxBytes))")
        }
        if !limits.videoDurationMs.contains(facts.durationMs) {
            throw EngineError.inputRejected("video is \(Format.seconds(facts.durationMs)) long; Kling accepts \(range(limits.videoDurationMs, Format.seconds))")
        }
        for (side, value) in [("width", facts.width), ("height", facts.height)] where !limits.videoSidePx.contains(value) {
            throw EngineError.inputRejected("video \(side) is \(value) px (\(facts.width)x\(facts.height)); Kling accepts \(limits.videoSidePx.lowerBound) to \(limits.videoSidePx.upperBound) px on each side")
        }
        return facts
    }

    static func range(_ r: ClosedRange<Int>, _ format: (Int) -> String) -> String {
        let low = format(r.lowerBound), high = format(r.upperBound)
        if low.hasSuffix(" s"), high.hasSuffix(" s") { return "\(low.dropLast(2)) to \(high)" }
        return "\(low) to \(high)"
    }
}

/// Checks an audio file against the input limits; returns its duration in ms.
public struct AudioValidator {
    public static func check(audioPath: String, limits: EngineLimits = .kling) async throws -> Int {
        let name = (audioPath as NSString).lastPathComponent
        let ext = (audioPath as NSString).pathExtension.lowercased()
        if !ext.isEmpty, !limits.audioExtensions.contains(ext) {
            throw EngineError.inputRejected("audio \(name) is .\(ext); Kling accepts \(Format.list(limits.audioExtensions))")
        }
        let info: MediaInfo
        do { info = try await MediaProbe.probe(audioPath) } catch { throw EngineError.from(error) }
        guard let durationMs = info.audioDurationMs else { throw EngineError.media("\(audioPath): has no audio stream") }
        if let size = info.sizeBytes, size > limits.audioMaxBytes {
            throw EngineError.inputRejected("audio is \(Format.megabytes(size)); Kling accepts at most \(Format.megabytes(limits.audioMaxBytes))")
        }
        if !limits.audioDurationMs.contains(durationMs) {
            throw EngineError.inputRejected("audio is \(Format.seconds(durationMs)) long; Kling accepts \(VideoValidator.range(limits.audioDurationMs, Format.seconds))")
        }
        return durationMs
    }
}

extension VideoValidator {
    static func fileSize(_ path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }
}
