import Foundation

/// An access key pair (and session token) for SigV4. Never printed: `description` shows
/// only the access key id's last four characters.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSCredentials(…\(accessKeyID.suffix(4)))" }
    public var debugDescription: String { description }
}
