import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One emulator per state directory: two would run the same queued tasks twice and race on
/// the files. An advisory `flock` on `klip.lock`, released by `unlock()` or by process exit.
final class StateLock: Sendable {
    private let fd: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent("klip.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EmulatorStartError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EmulatorStartError("another emulator is already using the state directory \(directory.path); stop it or choose another directory")
        }
        self.fd = fd
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
