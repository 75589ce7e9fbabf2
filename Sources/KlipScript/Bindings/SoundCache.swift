import Foundation
import KlingAPI

/// A local sound file is probed, converted and encoded once per run, however many clips use it.
/// The file is known by what `stat` says of it (device, inode, size, change times), so two
/// spellings of one file share an entry and an edited file is prepared again; one `stat` a
/// create (FileManager's attribute dictionary cost more than the rest of the look-up).
actor SoundCache {
    private struct Key: Hashable {
        var device: UInt64, inode: UInt64, size: Int64
        var modified: Int64, modifiedNanos: Int, changed: Int64, changedNanos: Int
    }
    private var entries: [Key: SingleFlight<PreparedSound>] = [:]

    func prepare(_ path: String) async throws -> PreparedSound {
        guard let key = Self.key(path) else { return try await PreparedSound.prepare(path) }
        let flight = entries[key] ?? SingleFlight()
        entries[key] = flight
        return try await flight.value { try await PreparedSound.prepare(path) }
    }

    private static func key(_ path: String) -> Key? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                   modified: Int64(info.st_mtim.tv_sec), modifiedNanos: info.st_mtim.tv_nsec,
                   changed: Int64(info.st_ctim.tv_sec), changedNanos: info.st_ctim.tv_nsec)
    }
}
