import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Moves secrets from the environment into a pipe across one re-exec of klip, so the
/// kernel's record of the environment (/proc/self/environ) never holds them while a
/// script runs. Runs at start-up, before any thread or task exists.
enum CredentialHandoff {
    /// Execs klip again with `secrets` removed from the environment; returns only when the
    /// exec failed (klip then goes on with libc's environment scrubbed, as before).
    static func reexecute(secrets: [String: String]) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, let payload = try? JSONEncoder().encode(secrets), payload.count < 16_384 else { return }
        // A few hundred bytes: well under the pipe's buffer, so this write never waits.
        let written = payload.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        guard written == payload.count else { close(fds[0]); return }
        var environment = ProcessInfo.processInfo.environment
        for name in secrets.keys { environment[name] = nil }
        environment[EnvironmentCredentials.handoffName] = String(fds[0])
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve("/proc/self/exe", CommandLine.unsafeArgv, envp)
        close(fds[0])
    }

    /// Reads what `reexecute` put in the pipe, and closes it.
    static func receive(_ fd: Int32) -> [String: String] {
        // Only a pipe beyond stdio: a stray KLIP_CREDENTIALS_FD=0 must not swallow stdin.
        var info = stat()
        guard fd > 2, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else { return [:] }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(buffer, count: n)
        }
        close(fd)
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }
}
