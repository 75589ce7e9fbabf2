import Foundation

/// The one error the upload path raises. Messages name the file or the setting at fault and
/// never carry a credential (request URLs are shown without their query).
public struct UploadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A setting is missing or malformed (KLIP_UPLOAD, AWS_*, KLIP_UPLOAD_EXPIRES).
        case configuration
        /// The local file cannot be read.
        case file
        /// The store answered with an error status.
        case storage
        /// The store could not be reached.
        case network
    }

    public var kind: Kind
    public var message: String
    /// The setting or argument the error is about (`KLIP_UPLOAD`, `path`, ...).
    public var field: String?
    public var httpStatus: Int?

    public init(kind: Kind, message: String, field: String? = nil, httpStatus: Int? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
        self.httpStatus = httpStatus
    }

    public static func configuration(_ field: String, _ message: String) -> UploadError {
        UploadError(kind: .configuration, message: message, field: field)
    }

    public var description: String {
        switch kind {
        case .configuration: "upload setting \(field ?? "?"): \(message)"
        case .file: "upload of \(field ?? "a file"): \(message)"
        case .storage: "upload store error\(httpStatus.map { " \($0)" } ?? ""): \(message)"
        case .network: "upload network error: \(message)"
        }
    }
}
