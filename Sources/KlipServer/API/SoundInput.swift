import Foundation
import KlingAPI
import KlipMedia

/// `sound_file`: Base64, an http(s) URL, or a file inside a media root, turned into a file the
/// task keeps, with the facts Preflight checks.
extension Service {
    /// `file://...`, or an absolute path that is not Base64 (Base64 may itself start with "/").
    static func isFileReference(_ sound: String) -> Bool {
        let text = sound.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.lowercased().hasPrefix("file://") { return true }
        return text.hasPrefix("/") && Data(base64Encoded: text) == nil
    }

    struct FetchedSound: Sendable {
        var path: String
        var facts: AudioFacts
    }

    /// The sound as a file in `dir`, with the facts Preflight checks (format, size, duration).
    func fetchSound(_ sound: String, into dir: URL) async throws(APIFailure) -> FetchedSound {
        let field = "face_choose[0].sound_file"
        let text = sound.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let source: String
        let name: String
        var format: String?
        var isLocal = false
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || Self.isFileReference(text) {
            let reference = try media.reference(text, field: field)
            // One byte over Kling's limit is enough to say it is too large.
            source = try await media.fetch(reference, field: field, limit: Int64(KlingLimits.audioMaxBytes) + 1,
                                           limitText: "5 MB (Kling's audio limit)", into: dir, baseName: "download")
            if case .local = reference { isLocal = true }
            let urlPath: String
            switch reference {
            case let .remote(url): urlPath = url.path
            case let .local(path): urlPath = path
            }
            name = (urlPath as NSString).lastPathComponent.isEmpty ? "sound_file" : (urlPath as NSString).lastPathComponent
            let ext = MediaInput.fileExtension(urlPath)
            if ext != "bin" { format = ext }
        } else {
            guard let bytes = Data(base64Encoded: text) else {
                throw .invalidParameter(field, "is neither an http(s) URL nor valid Base64")
            }
            source = dir.appendingPathComponent("download.bin").path
            do { try bytes.write(to: URL(fileURLWithPath: source)) } catch { throw .internalError("cannot store the sound") }
            name = "the Base64 sound_file"
        }

        // Size first: an oversized file is refused for its size, whatever it contains.
        let bytes = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.intValue ?? 0
        if bytes > KlingLimits.audioMaxBytes {
            throw .invalidParameter(field, "\(name) is \(bytes) bytes; the limit is 5 MB")
        }
        let info: MediaInfo
        do { info = try await MediaProbe.probe(source) } catch {
            throw .invalidParameter(field, "\(name) is not readable as audio")
        }
        guard info.audio != nil, let duration = info.audioDurationMs else {
            throw .invalidParameter(field, "\(name) has no audio stream")
        }
        let resolvedFormat = format ?? Self.audioFormat(info)
        let facts = AudioFacts(durationMs: duration, bytes: bytes, format: resolvedFormat, name: name)
        do { try Preflight.check(facts, at: field) } catch { throw APIFailure.invalidParameter(error) }

        // Keep the task's own copy: it must survive a restart and the source changing.
        let kept = dir.appendingPathComponent("sound.\(resolvedFormat)").path
        do {
            if isLocal { try FileManager.default.copyItem(atPath: source, toPath: kept) }
            else { try FileManager.default.moveItem(atPath: source, toPath: kept) }
        } catch { throw .internalError("cannot store the sound") }
        return FetchedSound(path: kept, facts: facts)
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
