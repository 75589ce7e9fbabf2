import Crypto
import Foundation

/// ffprobe results by content (SHA-256 of the file's bytes): the emulator decodes every
/// create's Base64 sound into a fresh file, and a script probes the same clip again and
/// again, so the same bytes are probed once. Concurrent probes of the same content share
/// one ffprobe. Only successes are kept (a failure may be a cancellation or a missing
/// tool); the oldest entries go first beyond `capacity`.
actor ProbeCache {
    static let shared = ProbeCache(capacity: 4096)

    private let capacity: Int
    private var results: [SHA256Digest: MediaInfo] = [:]
    private var order: [SHA256Digest] = []
    private var inFlight: [SHA256Digest: Task<MediaInfo, any Error>] = [:]

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Probes `path` unless its content was probed before. The file is read and hashed
    /// before entering the actor, so concurrent probes do not queue behind each other's reads.
    nonisolated func info(for path: String, probe: @escaping @Sendable () async throws -> MediaInfo) async throws -> MediaInfo {
        try await info(forContent: ContentDigest.of(path), probe: probe)
    }

    /// Probes unless content with this SHA-256 was probed before.
    func info(forContent key: SHA256Digest, probe: @escaping @Sendable () async throws -> MediaInfo) async throws -> MediaInfo {
        if let known = results[key] { return known }
        if let running = inFlight[key] { return try await running.value }
        let task = Task { try await probe() }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        let info = try await task.value
        remember(info, for: key)
        return info
    }

    private func remember(_ info: MediaInfo, for key: SHA256Digest) {
        guard results.updateValue(info, forKey: key) == nil else { return }
        order.append(key)
        if order.count > capacity { results[order.removeFirst()] = nil }
    }

    var count: Int { results.count }
}

/// The SHA-256 of a file, read in 1 MiB chunks.
public enum ContentDigest {
    public static func of(_ path: String) throws -> SHA256Digest {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MediaError.unreadable(path: path, detail: "cannot open")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize()
    }
}
