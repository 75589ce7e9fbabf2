import Foundation

/// Input limits the engine enforces. The defaults are Kling's documented limits.
public struct EngineLimits: Sendable, Equatable {
    public var videoDurationMs: ClosedRange<Int>
    public var videoSidePx: ClosedRange<Int>
    public var videoMaxBytes: Int64
    /// Accepted video file extensions, lower case, no dot.
    public var videoExtensions: Set<String>
    public var audioDurationMs: ClosedRange<Int>
    public var audioMaxBytes: Int64
    public var audioExtensions: Set<String>

    public init(videoDurationMs: ClosedRange<Int> = 2000...60000, videoSidePx: ClosedRange<Int> = 512...2160,
                videoMaxBytes: Int64 = 100 * 1024 * 1024, videoExtensions: Set<String> = ["mp4", "mov"],
                audioDurationMs: ClosedRange<Int> = 2000...60000, audioMaxBytes: Int64 = 5 * 1024 * 1024,
                audioExtensions: Set<String> = ["mp3", "wav", "m4a", "aac"]) {
        self.videoDurationMs = videoDurationMs
        self.videoSidePx = videoSidePx
        self.videoMaxBytes = videoMaxBytes
        self.videoExtensions = videoExtensions
        self.audioDurationMs = audioDurationMs
        self.audioMaxBytes = audioMaxBytes
        self.audioExtensions = audioExtensions
    }

    public static let kling = EngineLimits()
}

enum Format {
    static func seconds(_ ms: Int) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : String(format: "%.1f s", Double(ms) / 1000)
    }

    static func megabytes(_ bytes: Int64) -> String {
        if bytes < 1024 * 1024 { return bytes < 1024 ? "\(bytes) bytes" : String(format: "%.1f KB", Double(bytes) / 1024) }
        let mb = Double(bytes) / (1024 * 1024)
        return mb == mb.rounded() ? "\(Int(mb)) MB" : String(format: "%.1f MB", mb)
    }

    static func list(_ extensions: Set<String>) -> String {
        let sorted = extensions.sorted { ($0 == "mp4" ? 0 : 1, $0) < ($1 == "mp4" ? 0 : 1, $1) }.map { "." + $0 }
        guard sorted.count > 1 else { return sorted.first ?? "" }
        return sorted.dropLast().joined(separator: ", ") + " or " + sorted.last!
    }
}
