import Crypto
import Foundation
import Synchronization

/// What a long `sound_file` text is, worked out once per string rather than once per create.
/// A script's thousand creates of one prepared sound share one String storage (275 KB of
/// Base64), and decoding it to check it and hashing it for the journal each cost more than
/// the request itself. An entry is keyed by that storage's address and keeps the string, so
/// the address cannot be taken by other text while the entry lives; a string with other
/// storage (a fresh copy from Lua) is a miss and is simply worked out again. Bounded: the
/// `capacity` most recently used strings.
public enum SoundFileMemo {
    /// Shorter texts (URLs, ids) are cheaper to work out than to look up.
    static let threshold = 4096
    static let capacity = 4

    private struct Entry: Sendable {
        let text: String
        let address: UInt
        var isBase64: Bool?
        var sha256: String?
    }

    private static let entries = Mutex<[Entry]>([])

    /// Whether `text` is valid Base64 (and so needs no JSON escaping).
    public static func isBase64(_ text: String) -> Bool {
        memo(text, \.isBase64) { Data(base64Encoded: $0) != nil }
    }

    /// SHA-256 of `text`'s UTF-8, as lower-case hex.
    public static func sha256Hex(_ text: String) -> String {
        memo(text, \.sha256) { Hex.lowercase(SHA256.hash(data: Data($0.utf8))) }
    }

    private static func memo<T: Sendable>(_ text: String, _ field: WritableKeyPath<Entry, T?>,
                                          _ work: (String) -> T) -> T {
        guard text.utf8.count >= threshold, let address = address(of: text) else { return work(text) }
        if let known = entries.withLock({ list in lookUp(&list, address, text.utf8.count)?[keyPath: field] }) {
            return known
        }
        let value = work(text)
        entries.withLock { list in
            if lookUp(&list, address, text.utf8.count) == nil {
                list.insert(Entry(text: text, address: address), at: 0)
                if list.count > capacity { list.removeLast() }
            }
            list[0][keyPath: field] = value
        }
        return value
    }

    /// Finds the entry and moves it to the front.
    private static func lookUp(_ list: inout [Entry], _ address: UInt, _ count: Int) -> Entry? {
        guard let i = list.firstIndex(where: { $0.address == address && $0.text.utf8.count == count }) else { return nil }
        if i != 0 { list.insert(list.remove(at: i), at: 0) }
        return list[0]
    }

    /// The storage's address; only compared, never read through.
    private static func address(of text: String) -> UInt? {
        text.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? nil
    }
}
