import Foundation

/// `face_choose[0].sound_file`, read once per create. A Base64 sound (206 KB for 2.5 s of
/// WAV) is decoded here and nowhere else: the preflight rules are given a stand-in once the
/// text is known to be valid Base64, instead of decoding it again, twice.
struct SoundField: Sendable {
    enum Content: Sendable {
        /// http(s), `file://` or an absolute path (trimmed): fetched when the task is made.
        case reference(String)
        /// The decoded bytes of valid Base64.
        case base64(Data)
        /// Neither: the preflight rules name what is wrong with `preflightText`.
        case invalid
    }

    let content: Content
    /// What `Preflight.check` is given for `sound_file`: the text as sent, a `file://` URL for
    /// an absolute path, or a short valid Base64 once the real one has been decoded.
    let preflightText: String?

    /// Valid Base64 of nothing in particular: passes every preflight rule on `sound_file`
    /// exactly as the decoded original did (non-empty, not a URL, no `data:` prefix).
    static let validBase64StandIn = "AAAA"

    init(_ sound: String?) {
        guard let sound, !sound.isEmpty else {
            (content, preflightText) = (.invalid, sound)
            return
        }
        let text = sound.trimmedOfWhitespace
        let scheme = text.prefix(8).lowercased()
        if scheme.hasPrefix("http://") || scheme.hasPrefix("https://") {
            (content, preflightText) = (.reference(text), sound)
        } else if scheme.hasPrefix("file://") {
            // Preflight leaves file:// references to us; an absolute path is the same reference.
            (content, preflightText) = (.reference(text), text)
        } else {
            let decoded = Data(base64Encoded: text)
            if decoded == nil, text.hasPrefix("/") {
                // Base64 may itself start with "/": only text that is not Base64 is a path.
                (content, preflightText) = (.reference(text), URL(fileURLWithPath: text).absoluteString)
            } else if let decoded, text.utf8.count == sound.utf8.count {
                (content, preflightText) = (.base64(decoded), Self.validBase64StandIn)
            } else {
                // Surrounding whitespace is not Base64 either, as the preflight rules say.
                (content, preflightText) = (.invalid, sound)
            }
        }
    }
}
