import Foundation

/// The display rotation of a video (phone recordings carry it as metadata). ffmpeg applies
/// it when decoding, so decoded frames of a ±90° video are as wide as the coded height.
public enum VideoOrientation {
    /// Rotation in degrees (0, 90, 180 or 270) of the first video stream; 0 when unknown.
    /// Read from the same ffprobe as `MediaProbe.probe`, so a content probed before (a
    /// session's video, for every task rendered from it) costs no second ffprobe.
    public static func rotationDegrees(of path: String) async -> Int {
        (try? await MediaProbe.probe(path))?.video?.rotationDegrees ?? 0
    }

    /// ffprobe's rotation (the display matrix's, or an old `rotate` tag) as 0, 90, 180 or 270.
    static func normalized(_ degrees: Double?) -> Int {
        guard let degrees, degrees.isFinite, abs(degrees) < 1e6 else { return 0 }
        let normalized = (Int(degrees.rounded()) % 360 + 360) % 360
        return [0, 90, 180, 270].contains(normalized) ? normalized : 0
    }

    /// The size of the decoded (rotated) frames.
    public static func displaySize(width: Int, height: Int, rotationDegrees: Int) -> (width: Int, height: Int) {
        rotationDegrees % 180 == 90 ? (height, width) : (width, height)
    }
}
