import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Kling settings found in the environment at start-up. The secret values are removed
/// from the process environment as they are read (and from the kernel's copy of it by
/// `EnvironmentBlock.erase`, in main).
struct EnvironmentCredentials: Sendable {
    var baseURL: String?
    var prefix: String?
    var apiKey: String?
    var accessKey: String?
    var secretKey: String?
    /// The `whsec_` secret callbacks are signed with (KLING_WEBHOOK_SECRET).
    var webhookSecret: String?

    static let secretNames = ["KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_WEBHOOK_SECRET"]

    static func captureAndScrub() -> EnvironmentCredentials {
        let env = ProcessInfo.processInfo.environment
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
