import Foundation
import KlipMedia

/// A probed video as it is shown: frame size after the display rotation is applied.
struct DisplayedVideo {
    var info: MediaInfo
    var video: MediaInfo.Video
    var width: Int
    var height: Int
    var fps: Double { video.fps > 0 ? video.fps : 25 }
    var durationMs: Int { video.durationMs ?? info.durationMs }

    /// Probes `path`; throws `EngineError.media` naming the file. `rotated: false` skips
    /// the rotation probe for files known to be upright (our own renders).
    static func probe(_ path: String, rotated: Bool = true) async throws -> DisplayedVideo {
        // A second ffprobe, run alongside.
        async let rotation = rotated ? VideoOrientation.rotationDegrees(of: path) : 0
        let info: MediaInfo
        do { info = try await MediaProbe.probe(path) } catch { throw EngineError.from(error) }
        guard let video = info.video, video.width > 0, video.height > 0 else {
            throw EngineError.media("\(path): has no video stream")
        }
        let size = VideoOrientation.displaySize(width: video.width, height: video.height, rotationDegrees: await rotation)
        return DisplayedVideo(info: info, video: video, width: size.width, height: size.height)
    }

    var facts: VideoFacts {
        VideoFacts(durationMs: durationMs, width: width, height: height, fps: video.fps,
                   hasAudio: info.audio != nil, sizeBytes: info.sizeBytes ?? 0)
    }
}
