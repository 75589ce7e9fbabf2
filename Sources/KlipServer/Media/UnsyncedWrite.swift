#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes bytes to a new file without `fsync`. Foundation's `Data.write(to:)` syncs every
/// file it writes: a create's decoded sound waited for the disk on a thread of the
/// cooperative pool. A task's files need to survive the process being killed, which the page
/// cache gives, not a power loss (the store is `synchronous = NORMAL` for the same reason).
enum UnsyncedWrite {
    static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
                offset += written
            }
        }
    }
}
