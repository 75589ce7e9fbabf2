import Foundation

/// The display rotation of a video (phone recordings carry it as metadata). ffmpeg applies
/// it when decoding, so decoded frames of a ±90° video are as wide as the coded height.
public enum VideoOrientation {
    /// Rotation in degrees (0, 90, 180 or 270) of the first video stream; 0 when unknown.
    /// Read from `MediaProbe`'s answer, cached by content: the emulator renders the same
    /// session video again and again, and a separate ffprobe here was one uncached child
    /// process per task (with `--render none`, the whole cost of a task).
    public static func rotationDegrees(of path: String) async -> Int {
        (try? await MediaProbe.probe(path))?.video?.rotationDegrees ?? 0
    }

    /// The size of the decoded (rotated) frames.
    public static func displaySize(width: Int, height: Int, rotationDegrees: Int) -> (width: Int, height: Int) {
        rotationDegrees % 180 == 90 ? (height, width) : (width, height)
    }
}
