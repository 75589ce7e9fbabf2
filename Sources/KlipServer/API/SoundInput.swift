import Crypto
import Foundation
import KlingAPI
import KlipMedia

/// `sound_file`: Base64, an http(s) URL, or a file inside a media root, turned into a file the
/// task keeps, with the facts Preflight checks.
extension Service {
    struct FetchedSound: Sendable {
        var path: String
        var facts: AudioFacts
    }

    /// The sound as a file in `dir`, with the facts Preflight checks (format, size, duration).
    func fetchSound(_ sound: SoundField.Content, into dir: URL) async throws(APIFailure) -> FetchedSound {
        let field = "face_choose[0].sound_file"
        let staged = try await stage(sound, into: dir, field: field)
        let name = staged.name
        // Size first: an oversized file is refused for its size, whatever it contains.
        if staged.bytes > KlingLimits.audioMaxBytes {
            throw .invalidParameter(field, "\(name) is \(staged.bytes) bytes; the limit is 5 MB")
        }
        let info: MediaInfo
        do {
            if let digest = staged.digest { info = try await MediaProbe.probe(staged.path, contentDigest: digest) }
            else { info = try await MediaProbe.probe(staged.path) }
        } catch {
            throw .invalidParameter(field, "\(name) is not readable as audio")
        }
        guard info.audio != nil, let duration = info.audioDurationMs else {
            throw .invalidParameter(field, "\(name) has no audio stream")
        }
        let resolvedFormat = staged.format ?? Self.audioFormat(info)
        let facts = AudioFacts(durationMs: duration, bytes: staged.bytes, format: resolvedFormat, name: name)
        do { try Preflight.check(facts, at: field) } catch { throw APIFailure.invalidParameter(error) }

        // Keep the task's own copy: it must survive a restart and the source changing.
        let kept = dir.appendingPathComponent("sound.\(resolvedFormat)").path
        do {
            if staged.isLocal { try FileManager.default.copyItem(atPath: staged.path, toPath: kept) }
            else { try FileManager.default.moveItem(atPath: staged.path, toPath: kept) }
        } catch { throw .internalError("cannot store the sound") }
        return FetchedSound(path: kept, facts: facts)
    }

    /// The sound as a local file before it is checked: a media root's own file, a download
    /// or the decoded Base64 in `dir`.
    private struct StagedSound {
        var path: String
        /// How errors name it: the file name, or "the Base64 sound_file".
        var name: String
        var bytes: Int
        /// From the name's extension, when it has one.
        var format: String?
        /// A media root's file, to be copied rather than moved.
        var isLocal = false
        /// SHA-256 of the content when the bytes were in hand.
        var digest: SHA256Digest?
    }

    private func stage(_ sound: SoundField.Content, into dir: URL, field: String) async throws(APIFailure) -> StagedSound {
        switch sound {
        case let .reference(text):
            let reference = try media.reference(text, field: field)
            // One byte over Kling's limit is enough to say it is too large.
            let source = try await media.fetch(reference, field: field, limit: Int64(KlingLimits.audioMaxBytes) + 1,
                                               limitText: "5 MB (Kling's audio limit)", into: dir, baseName: "download")
            let urlPath: String, isLocal: Bool
            switch reference {
            case let .remote(url): (urlPath, isLocal) = (url.path, false)
            case let .local(path): (urlPath, isLocal) = (path, true)
            }
            let fileName = (urlPath as NSString).lastPathComponent
            let ext = MediaInput.fileExtension(urlPath)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.intValue ?? 0
            return StagedSound(path: source, name: fileName.isEmpty ? "sound_file" : fileName, bytes: bytes,
                               format: ext == "bin" ? nil : ext, isLocal: isLocal)
        case let .base64(data):
            var staged = StagedSound(path: dir.appendingPathComponent("download.bin").path,
                                     name: "the Base64 sound_file", bytes: data.count)
            // An oversized sound is refused for its size alone: nothing to write.
            guard data.count <= KlingLimits.audioMaxBytes else { return staged }
            do { try data.write(to: URL(fileURLWithPath: staged.path)) } catch { throw .internalError("cannot store the sound") }
            // The bytes are in hand: the probe cache needs no second read of the file.
            staged.digest = SHA256.hash(data: data)
            return staged
        case .invalid:
            throw .invalidParameter(field, "is neither an http(s) URL nor valid Base64")
        }
    }

    /// The format Kling would see for bytes without a file name. Audio in an mp4 with video
    /// stays "mp4" so it is refused, as Kling refuses it.
    static func audioFormat(_ info: MediaInfo) -> String {
        let names = info.formatName.split(separator: ",").map(String.init)
        if names.contains("mp3") { return "mp3" }
        if names.contains("wav") { return "wav" }
        if names.contains("aac") { return "aac" }
        if names.contains("mp4") || names.contains("m4a") { return info.video == nil ? "m4a" : "mp4" }
        return names.first ?? "unknown"
    }
}
