import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Kling settings found in the environment at start-up. The secret values are removed
/// from the process environment as they are read.
struct EnvironmentCredentials: Sendable {
    var baseURL: String?
    var prefix: String?
    var apiKey: String?
    var accessKey: String?
    var secretKey: String?
    /// The `whsec_` secret callbacks are signed with (KLING_WEBHOOK_SECRET).
    var webhookSecret: String?

    static let secretNames = ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_WEBHOOK_SECRET"]
    /// Set only between klip and its own re-executed image: the pipe holding the secrets.
    static let handoffName = "KLIP_CREDENTIALS_FD"

    static func captureAndScrub() -> EnvironmentCredentials {
        var env = ProcessInfo.processInfo.environment
        if let fd = env[handoffName].flatMap(Int32.init) {
            unsetenv(handoffName)
            for (name, value) in CredentialHandoff.receive(fd) { env[name] = value }
        } else if secretNames.contains(where: { env[$0] != nil }) {
            // unsetenv changes libc's copy only; /proc/self/environ keeps the one exec made,
            // which a script can read. Run again without them, handing them over by pipe.
            CredentialHandoff.reexecute(secrets: env.filter { secretNames.contains($0.key) })
        }
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        let found = EnvironmentCredentials(baseURL: value("KLING_BASE_URL"), prefix: value("KLING_PREFIX"),
                                           apiKey: value("KLING_API_KEY"), accessKey: value("KLING_ACCESS_KEY"),
                                           secretKey: value("KLING_SECRET_KEY"),
                                           webhookSecret: value("KLING_WEBHOOK_SECRET"))
        for name in secretNames { unsetenv(name) }
        return found
    }
}
