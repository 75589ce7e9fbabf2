import Foundation
import KlipMedia

/// A face box at one moment, in source pixels.
public struct FaceSample: Codable, Sendable, Equatable {
    public var timeMs: Int
    public var x, y, width, height: Int

    public init(timeMs: Int, x: Int, y: Int, width: Int, height: Int) {
        self.timeMs = timeMs; self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// One person's continuous presence in a video.
public struct FaceTrack: Codable, Sendable, Equatable {
    /// 0-based, in order of first appearance; the server uses `String(index)` as face_id.
    public var index: Int
    public var startMs: Int
    public var endMs: Int
    /// The boxes over time (for the mouth-animation stage).
    public var samples: [FaceSample]

    public init(index: Int, startMs: Int, endMs: Int, samples: [FaceSample]) {
        self.index = index; self.startMs = startMs; self.endMs = endMs; self.samples = samples
    }

    /// The box at `timeMs`: the nearest sample (samples are ~80 ms apart).
    public func box(atMs timeMs: Int) -> FaceSample? {
        guard !samples.isEmpty else { return nil }
        var lo = 0, hi = samples.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if samples[mid].timeMs < timeMs { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0, abs(samples[lo - 1].timeMs - timeMs) <= abs(samples[lo].timeMs - timeMs) { return samples[lo - 1] }
        return samples[lo]
    }
}

public struct VideoFacts: Sendable, Equatable {
    public var durationMs: Int
    public var width: Int
    public var height: Int
    public var fps: Double
    public var hasAudio: Bool
    public var sizeBytes: Int64

    public init(durationMs: Int, width: Int, height: Int, fps: Double, hasAudio: Bool, sizeBytes: Int64) {
        self.durationMs = durationMs; self.width = width; self.height = height
        self.fps = fps; self.hasAudio = hasAudio; self.sizeBytes = sizeBytes
    }
}

public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Breaks a Kling input limit; the message names the limit.
    case inputRejected(String)
    /// No usable face in the video.
    case noFace(String)
    /// Unreadable file, no video stream, or an ffmpeg failure; the message names the file.
    case media(String)

    public var description: String {
        switch self {
        case let .inputRejected(message): message
        case let .noFace(message): message
        case let .media(message): message
        }
    }

    /// Wraps a failure from KlipMedia (which already names the file).
    static func from(_ error: any Error) -> any Error {
        if error is EngineError || error is CancellationError { return error }
        if let media = error as? MediaError { return EngineError.media(media.description) }
        return EngineError.media("\(error)")
    }
}
