import Foundation

extension String {
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, free when there is nothing to trim.
    /// Foundation's copies the whole string however little it trims: ~7 ms of CPU for the
    /// 206 KB Base64 sound of a create, which was trimmed three times per create.
    var trimmedOfWhitespace: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        let blank = CharacterSet.whitespacesAndNewlines
        guard blank.contains(first) || blank.contains(last) else { return self }
        return trimmingCharacters(in: blank)
    }
}
