import Foundation

/// The display rotation of a video (phone recordings carry it as metadata). ffmpeg applies
/// it when decoding, so decoded frames of a ±90° video are as wide as the coded height.
public enum VideoOrientation {
    /// Rotation in degrees (0, 90, 180 or 270) of the first video stream; 0 when unknown.
    public static func rotationDegrees(of path: String) async -> Int {
        guard let output = try? await ProcessRunner.run("ffprobe", [
            "-v", "error", "-select_streams", "V:0",
            "-show_entries", "stream_side_data=rotation:stream_tags=rotate", "-of", "json", path,
        ]), output.status == 0 else { return 0 }
        struct Probe: Decodable {
            struct Stream: Decodable {
                struct SideData: Decodable { var rotation: Double? }
                var side_data_list: [SideData]?
                var tags: [String: String]?
            }
            var streams: [Stream]?
        }
        guard let stream = (try? JSONDecoder().decode(Probe.self, from: output.stdout))?.streams?.first else { return 0 }
        let degrees = stream.side_data_list?.compactMap(\.rotation).first
            ?? stream.tags?["rotate"].flatMap(Double.init) ?? 0
        let normalized = (Int(degrees.rounded()) % 360 + 360) % 360
        return [0, 90, 180, 270].contains(normalized) ? normalized : 0
    }

    /// The size of the decoded (rotated) frames.
    public static func displaySize(width: Int, height: Int, rotationDegrees: Int) -> (width: Int, height: Int) {
        rotationDegrees % 180 == 90 ? (height, width) : (width, height)
    }
}
