import Foundation

/// The upload settings found in the environment at start-up. The secrets are removed from
/// the process environment as they are read, so no child process and no script sees them.
public struct AWSEnvironment: Sendable, CustomStringConvertible {
    public var upload: String?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    public var region: String?
    public var endpoint: String?
    public var expires: String?

    public static let secretNames = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    public init(upload: String? = nil, accessKeyID: String? = nil, secretAccessKey: String? = nil,
                sessionToken: String? = nil, region: String? = nil, endpoint: String? = nil, expires: String? = nil) {
        self.upload = upload
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint
        self.expires = expires
    }

    public static func captureAndScrub() -> AWSEnvironment {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        let found = AWSEnvironment(
            upload: value("KLIP_UPLOAD"), accessKeyID: value("AWS_ACCESS_KEY_ID"),
            secretAccessKey: value("AWS_SECRET_ACCESS_KEY"), sessionToken: value("AWS_SESSION_TOKEN"),
            region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION"),
            endpoint: value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL"),
            expires: value("KLIP_UPLOAD_EXPIRES"))
        for name in secretNames { unsetenv(name) }
        return found
    }

    public var description: String {
        "AWSEnvironment(upload: \(upload ?? "none"), region: \(region ?? "default"), credentials: \(accessKeyID == nil ? "absent" : "set"))"
    }
}
