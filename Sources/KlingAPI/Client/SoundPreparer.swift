import Foundation
import KlipMedia

/// A `sound_file` ready to send, and what is known about it for the preflight checks.
public struct PreparedSound: Sendable, Equatable {
    /// Base64 of the audio bytes (no `data:` prefix), or the URL as given.
    public var soundFile: String
    /// Facts of the bytes that are sent; nil for a URL.
    public var facts: AudioFacts?
    /// Set when the file was converted, saying from what to what and why.
    public var note: String?

    /// Probes, converts if needed, and Base64-encodes a local audio file; a URL passes through.
    public static func prepare(_ pathOrURL: String) async throws(KlingError) -> PreparedSound {
        try await SoundPreparer.prepare(pathOrURL, field: "face_choose[0].sound_file")
    }
}

/// Turns a local audio file into what Kling accepts: mp3/wav/m4a/aac, at most 5 MB,
/// 2–60 s. A file in another container (audio in an mp4, say) or over 5 MB is
/// transcoded with ffmpeg; a file of the wrong length cannot be fixed and is an error.
enum SoundPreparer {
    static func prepare(_ pathOrURL: String, field: String = "sound_file") async throws(KlingError) -> PreparedSound {
        if Preflight.isURL(pathOrURL) { return PreparedSound(soundFile: pathOrURL, facts: nil, note: nil) }
        let path = pathOrURL.hasPrefix("file://") ? (URL(string: pathOrURL)?.path ?? pathOrURL) : pathOrURL
        let name = (path as NSString).lastPathComponent

        let info: MediaInfo
        do { info = try await MediaProbe.probe(path) } catch {
            throw .validation(field, "\(error)")
        }
        guard let audio = info.audio, let duration = info.audioDurationMs else {
            throw .validation(field, "\(path) has no audio stream")
        }
        let size = Int(fileSize(path) ?? info.sizeBytes ?? 0)
        var facts = AudioFacts(durationMs: duration, bytes: size, format: acceptedFormat(info, path: path) ?? "", name: name)
        // Length cannot be fixed by converting: report it on the original file.
        if !KlingLimits.audioDurationMs.contains(duration) {
            throw .validation(field, "\(name) is \(KlingLimits.seconds(duration)) long; audio must be 2 to 60 s")
        }

        var sendPath = path
        var note: String?
        let needsFormat = facts.format.isEmpty
        if needsFormat || size > KlingLimits.audioMaxBytes {
            let out = FileManager.default.temporaryDirectory
                .appendingPathComponent("klip-sound-\(UUID().uuidString).mp3").path
            do {
                try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", path,
                                                         "-vn", "-ac", "2", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", out])
            } catch {
                throw .validation(field, "\(name) could not be converted to mp3: \(error)")
            }
            let newSize = Int(fileSize(out) ?? 0)
            let reason = needsFormat
                ? "\(info.formatName)/\(audio.codec) is not an accepted format (mp3, wav, m4a, aac)"
                : "\(size) bytes is over the 5 MB limit"
            note = "converted \(name) to mp3 (\(newSize) bytes): \(reason)"
            sendPath = out
            facts = AudioFacts(durationMs: duration, bytes: newSize, format: "mp3", name: name)
        }
        defer { if sendPath != path { try? FileManager.default.removeItem(atPath: sendPath) } }
        try Preflight.check(facts, at: field)
        guard let bytes = FileManager.default.contents(atPath: sendPath) else {
            throw .validation(field, "\(path) cannot be read")
        }
        return PreparedSound(soundFile: bytes.base64EncodedString(), facts: facts, note: note)
    }

    /// The accepted format a file already is, judged by its container and its name.
    static func acceptedFormat(_ info: MediaInfo, path: String) -> String? {
        let ext = (path as NSString).pathExtension.lowercased()
        let formats = Set(info.formatName.split(separator: ",").map(String.init))
        guard info.video == nil else { return nil }  // audio inside a video container
        if formats.contains("wav") { return "wav" }
        if formats.contains("mp3") { return "mp3" }
        if formats.contains("aac") { return "aac" }
        if formats.contains("m4a") && ext == "m4a" && info.audio?.codec == "aac" { return "m4a" }
        return nil
    }

    static func fileSize(_ path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }
}
