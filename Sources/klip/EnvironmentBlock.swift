import Foundation

/// The environment exec laid out on the stack, which the kernel shows as /proc/self/environ
/// to anything in this process (a script's `io.open`). `unsetenv` only drops libc's pointer
/// to an entry; `erase` also overwrites the entry's bytes there, so no re-exec is needed
/// to keep a secret out of that file.
enum EnvironmentBlock {
    /// Zeroes every `NAME=value` entry of `names` in the block. Call it after the values
    /// were read and unset, before any thread or task exists.
    static func erase(_ names: [String]) {
        guard let block = region() else { return }
        let prefixes = names.map { Array(($0 + "=").utf8) }
        var start = 0
        while start < block.count {
            var end = start
            while end < block.count, block[end] != 0 { end += 1 }
            let entry = block[start..<end]
            if prefixes.contains(where: { entry.starts(with: $0) }) {
                for i in start..<end { block[i] = 0 }
            }
            start = end + 1
        }
    }

    /// env_start and env_end, fields 50 and 51 of /proc/self/stat (Linux 3.5 and later).
    private static func region() -> UnsafeMutableBufferPointer<UInt8>? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // The command name may hold spaces: count fields after its ")"; that is field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 48, let start = UInt(fields[47]), let end = UInt(fields[48]), end > start,
              let base = UnsafeMutablePointer<UInt8>(bitPattern: start) else { return nil }
        return UnsafeMutableBufferPointer(start: base, count: Int(end - start))
    }
}
