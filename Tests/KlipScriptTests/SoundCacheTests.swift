import Foundation
import Testing
@testable import KlipScript

/// A run prepares a local sound once per file, whatever it is called, and again once the file
/// is changed, even in place with its size and modification time put back.
@Suite struct SoundCacheTests {
    let media = EmulatorBackend.media.path
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-sound-cache-\(UUID().uuidString)")

    @Test func oneFileIsPreparedOnceAndAgainWhenItChanges() async throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let voice = dir.appendingPathComponent("voice.wav").path
        try fm.copyItem(atPath: "\(media)/speech.wav", toPath: voice)
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("link.wav").path, withDestinationPath: voice)
        let cache = SoundCache()

        let first = try await cache.prepare(voice)
        let again = try await cache.prepare(dir.appendingPathComponent("link.wav").path)
        // One entry: the very same encoded text, not an equal copy.
        #expect(Self.storage(first.soundFile) == Self.storage(again.soundFile))

        // Same size, same mtime, other samples: still a changed file.
        let modified = try fm.attributesOfItem(atPath: voice)[.modificationDate] as! Date
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: voice)))
        for i in stride(from: bytes.count / 2, to: bytes.count, by: 2) { bytes[i] = 0; bytes[i + 1] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: voice))
        try fm.setAttributes([.modificationDate: modified], ofItemAtPath: voice)
        let changed = try await cache.prepare(voice)
        #expect(changed.soundFile != first.soundFile)
        #expect(Self.storage(try await cache.prepare(voice).soundFile) == Self.storage(changed.soundFile))
    }

    static func storage(_ s: String) -> UInt? {
        s.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? nil
    }
}
