import Crypto
import Foundation

/// What ffprobe says about a media file: the facts validation and alignment need.
public struct MediaInfo: Sendable, Codable, Equatable {
    public struct Video: Sendable, Codable, Equatable {
        public var codec: String
        public var width: Int
        public var height: Int
        public var fps: Double
        public var durationMs: Int?
        /// Display rotation (0, 90, 180 or 270): see `VideoOrientation`.
        public var rotationDegrees: Int = 0
    }
    public struct Audio: Sendable, Codable, Equatable {
        public var codec: String
        public var sampleRate: Int
        public var channels: Int
        public var durationMs: Int?
    }
    /// ffprobe's `format_name`, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "wav", "mp3".
    public var formatName: String
    public var durationMs: Int
    /// Size in bytes (nil for a URL ffprobe could not size).
    public var sizeBytes: Int64?
    public var video: Video?
    public var audio: Audio?

    /// The audio stream's own duration when known, else the container's.
    public var audioDurationMs: Int? { audio.map { $0.durationMs ?? durationMs } }
    /// The video stream's own duration when known, else the container's.
    public var videoDurationMs: Int? { video.map { $0.durationMs ?? durationMs } }
}

public enum MediaProbe {
    /// Probes a local path or an http(s) URL. A plain PCM WAV file is read from its header
    /// (`WAVHeader`); another local file whose content was probed before answers from
    /// `ProbeCache` without running ffprobe.
    public static func probe(_ pathOrURL: String) async throws -> MediaInfo {
        let isURL = pathOrURL.hasPrefix("http://") || pathOrURL.hasPrefix("https://")
        if !isURL {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: pathOrURL, isDirectory: &isDir), !isDir.boolValue else {
                throw MediaError.unreadable(path: pathOrURL, detail: "no such file")
            }
            guard FileManager.default.isReadableFile(atPath: pathOrURL) else {
                throw MediaError.unreadable(path: pathOrURL, detail: "permission denied")
            }
        }
        if isURL { return try await probeUncached(pathOrURL) }
        if let wav = WAVHeader.info(path: pathOrURL) { return wav }
        return try await ProbeCache.shared.info(for: pathOrURL) { try await probeUncached(pathOrURL) }
    }

    /// The same for a local file whose content's SHA-256 the caller already has (it wrote
    /// those bytes itself): the cache is asked without reading the file again.
    public static func probe(_ path: String, contentDigest: SHA256Digest) async throws -> MediaInfo {
        try await ProbeCache.shared.info(forContent: contentDigest) { try await probeUncached(path) }
    }

    static func probeUncached(_ pathOrURL: String) async throws -> MediaInfo {
        let output = try await ProcessRunner.run("ffprobe", [
            "-v", "error", "-print_format", "json", "-show_format", "-show_streams", pathOrURL,
        ])
        guard output.status == 0 else {
            throw MediaError.invalidMedia(path: pathOrURL, detail: output.stderr.isEmpty ? "ffprobe failed" : output.stderr)
        }
        return try parse(output.stdout, path: pathOrURL)
    }

    /// ffprobe's seconds (text with 6 decimals) in ms, as every `MediaInfo` duration is.
    static func milliseconds(ffprobeSeconds text: String?) -> Int? {
        guard let text, let value = Double(text), value.isFinite else { return nil }
        return Int((value * 1000).rounded())
    }

    /// Seconds a header reader worked out, in ms as ffprobe would have printed and `parse`
    /// read them, so `WAVHeader` and `MP4Duration` answer exactly as ffprobe does.
    static func milliseconds(seconds: Double) -> Int? {
        milliseconds(ffprobeSeconds: String(format: "%.6f", seconds))
    }

    static func parse(_ json: Data, path: String) throws -> MediaInfo {
        struct Probe: Decodable {
            struct Stream: Decodable {
                var codec_type: String?
                var codec_name: String?
                var width: Int?
                var height: Int?
                var avg_frame_rate: String?
                var r_frame_rate: String?
                var sample_rate: String?
                var channels: Int?
                var duration: String?
                var disposition: [String: Int]?
                struct SideData: Decodable { var rotation: Double? }
                var side_data_list: [SideData]?
                var tags: [String: String]?
            }
            struct Format: Decodable {
                var format_name: String?
                var duration: String?
                var size: String?
            }
            var streams: [Stream]?
            var format: Format?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: json), let format = probe.format else {
            throw MediaError.invalidMedia(path: path, detail: "ffprobe printed no format")
        }
        func rate(_ text: String?) -> Double? {
            guard let text else { return nil }
            let parts = text.split(separator: "/").compactMap { Double($0) }
            if parts.count == 2, parts[1] > 0, parts[0] > 0 { return parts[0] / parts[1] }
            if parts.count == 1, parts[0] > 0 { return parts[0] }
            return nil
        }
        let streams = probe.streams ?? []
        // Cover art arrives as a video stream with attached_pic set: it is not video.
        let videoStream = streams.first { $0.codec_type == "video" && ($0.disposition?["attached_pic"] ?? 0) == 0 }
        let audioStream = streams.first { $0.codec_type == "audio" }
        let video = videoStream.map {
            MediaInfo.Video(codec: $0.codec_name ?? "unknown", width: $0.width ?? 0, height: $0.height ?? 0,
                            fps: rate($0.avg_frame_rate) ?? rate($0.r_frame_rate) ?? 0,
                            durationMs: milliseconds(ffprobeSeconds: $0.duration),
                            rotationDegrees: VideoOrientation.normalized($0.side_data_list?.compactMap(\.rotation).first
                                ?? $0.tags?["rotate"].flatMap(Double.init)))
        }
        let audio = audioStream.map {
            MediaInfo.Audio(codec: $0.codec_name ?? "unknown", sampleRate: Int($0.sample_rate ?? "") ?? 0,
                            channels: $0.channels ?? 0, durationMs: milliseconds(ffprobeSeconds: $0.duration))
        }
        let duration = milliseconds(ffprobeSeconds: format.duration) ?? video?.durationMs ?? audio?.durationMs ?? 0
        return MediaInfo(formatName: format.format_name ?? "unknown", durationMs: duration,
                         sizeBytes: format.size.flatMap { Int64($0) }, video: video, audio: audio)
    }
}
