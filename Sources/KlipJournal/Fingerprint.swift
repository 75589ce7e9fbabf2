import Crypto
import Foundation
import KlingAPI

/// Hashes that name inputs by content, so a rerun recognises the same work.
public enum Fingerprint {
    public static func hex(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).withUnsafeBytes { Hex.lowercase($0) }
    }

    /// Of the text's UTF-8, hashed where it lies (no Data copy).
    static func hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)).withUnsafeBytes { Hex.lowercase($0) } }
    }

    /// A local file by its content (streamed, never held whole), a URL or id by its text.
    public static func videoKey(_ video: String) throws -> String {
        let lower = video.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return "url:" + video }
        let path = lower.hasPrefix("file://") ? (URL(string: video)?.path ?? video) : video
        return "sha256:" + (try fileHash(path))
    }

    public static func videoKey(_ request: IdentifyFaceRequest) throws -> String {
        if let id = request.videoID, !id.isEmpty { return "id:" + id }
        return try videoKey(request.videoURL ?? "")
    }

    static func fileHash(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Hex.lowercase(hasher.finalize())
    }

    /// What determines a lip-sync's output: the video, the face, the audio's content, the
    /// times and the volumes (defaults spelled out, so `nil` and `1` are the same request).
    public static func lipSync(_ request: LipSyncRequest, videoKey: String) -> String {
        let face = request.faceChoose.first
        let audio: String
        if let id = face?.audioID, !id.isEmpty { audio = "id:" + id }
        else { audio = "sha256:" + SoundFileMemo.sha256Hex(face?.soundFile ?? "") }
        var text = "video=\(videoKey)\nface=\(face?.faceID ?? "")\naudio=\(audio)\n"
        text += "start=\(face?.soundStartTime ?? 0)\nend=\(face?.soundEndTime ?? 0)\ninsert=\(face?.soundInsertTime ?? 0)\n"
        text += "volume=\(face?.soundVolume ?? 1)\noriginal=\(face?.originalAudioVolume ?? 1)"
        return hex(text)
    }
}
