/// Kling's documented limits, in one place, shared by the client's preflight checks
/// and the emulator's enforcement so a request that passes one passes the other.
public enum KlingLimits {
    public static let minClipMs = 2000
    public static let minFaceOverlapMs = 2000
    public static let volumeRange: ClosedRange<Double> = 0...2

    public static let audioDurationMs: ClosedRange<Int> = 2000...60000
    public static let audioMaxBytes = 5 * 1024 * 1024
    /// Accepted audio formats, by file extension.
    public static let audioExtensions: Set<String> = ["mp3", "wav", "m4a", "aac"]

    public static let videoDurationMs: ClosedRange<Int> = 2000...60000
    public static let videoSidePx: ClosedRange<Int> = 512...2160
    public static let videoMaxBytes: Int64 = 100 * 1024 * 1024
    public static let videoExtensions: Set<String> = ["mp4", "mov"]

    public static let pageNum: ClosedRange<Int> = 1...1000
    public static let pageSize: ClosedRange<Int> = 1...500

    public static func seconds(_ ms: Int) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : String(format: "%.1f s", Double(ms) / 1000)
    }
}
