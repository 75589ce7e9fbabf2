import Foundation

/// The one error the client raises. Branch on `kind` and `code`, never on `httpStatus` alone:
/// Kling answers 429 both for rate limits (retryable) and for an account in arrears (not).
public struct KlingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A rule checked before sending was broken; nothing was sent.
        case validation
        /// The API answered with a non-zero code.
        case api
        /// The request did not get an answer (connection refused, reset, DNS, TLS, bad body).
        case network
        /// A wait ran past its timeout.
        case timeout
        /// The task ended `failed`.
        case failed
        /// The caller cancelled.
        case cancelled
    }

    public var kind: Kind
    public var message: String
    /// Kling's code, where there is one (1201, 1303, ...).
    public var code: Int?
    public var requestID: String?
    public var httpStatus: Int?
    /// The request field a validation error is about, e.g. `face_choose[0].sound_end_time`.
    public var field: String?
    public var taskID: String?

    public init(kind: Kind, message: String, code: Int? = nil, requestID: String? = nil,
                httpStatus: Int? = nil, field: String? = nil, taskID: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
        self.requestID = requestID
        self.httpStatus = httpStatus
        self.field = field
        self.taskID = taskID
    }

    public static func validation(_ field: String, _ message: String) -> KlingError {
        KlingError(kind: .validation, message: message, field: field)
    }

    /// One readable line.
    public var description: String {
        var text: String
        switch kind {
        case .validation: text = "invalid \(field ?? "request"): \(message)"
        case .api: text = "Kling error \(code.map(String.init) ?? "?"): \(message)"
        case .network: text = "network error: \(message)"
        case .timeout: text = "timed out: \(message)"
        case .failed: text = "task failed: \(message)"
        case .cancelled: text = "cancelled: \(message)"
        }
        if let taskID { text += " (task \(taskID))" }
        if let requestID, !requestID.isEmpty { text += " [request \(requestID)]" }
        return text
    }
}

extension KlingError: LocalizedError {
    public var errorDescription: String? { description }
}
