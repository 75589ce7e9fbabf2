/// Kling's documented error codes, by name. `KlingError.code` stays an `Int` because a
/// server may send a code this table does not know; compare it with `KlingCode.x.rawValue`
/// or use the predicates on `KlingError`.
public enum KlingCode: Int, Sendable, CaseIterable {
    case authFailed = 1000
    case authMissing = 1001
    case authInvalid = 1002
    /// The token's `nbf` is in the future: re-sign, then retry once.
    case tokenNotYetValid = 1003
    /// The token's `exp` is in the past: re-sign, then retry once.
    case tokenExpired = 1004
    case accountProblem = 1100
    case accountInArrears = 1101
    case resourcePackUsedUp = 1102
    case noPermission = 1103
    case invalidRequest = 1200
    /// An invalid parameter; the message names it.
    case invalidParameter = 1201
    case invalidMethod = 1202
    case notFound = 1203
    case platformPolicy = 1300
    case contentSafety = 1301
    /// Rate limit: nothing was done; retry with backoff.
    case rateLimited = 1302
    /// Too many parallel tasks: nothing was created; retry after one ends.
    case tooManyParallelTasks = 1303
    case ipAllowList = 1304
    case internalError = 5000
    case unavailable = 5001
    case internalTimeout = 5002

    /// Codes a retry may cure: the service was busy or broken, not the request.
    public var isTransient: Bool {
        switch self {
        case .rateLimited, .tooManyParallelTasks, .internalError, .unavailable, .internalTimeout: true
        default: false
        }
    }

    /// Codes Kling answers before it creates anything, so a create may be retried even
    /// without an `external_task_id`.
    public var refusedBeforeCreating: Bool { self == .rateLimited || self == .tooManyParallelTasks }

    /// Codes about the token's validity window, cured by signing a new one.
    public var isTokenTiming: Bool { self == .tokenNotYetValid || self == .tokenExpired }
}

extension KlingError {
    /// The named code, where the API answered with one this table knows.
    public var klingCode: KlingCode? {
        guard kind == .api, let code else { return nil }
        return KlingCode(rawValue: code)
    }

    /// A create refused because its `external_task_id` is already taken: the task exists.
    public var isDuplicateExternalID: Bool {
        klingCode == .invalidParameter && message.contains("external_task_id")
    }

    /// The API answered with a code a retry may cure.
    public var isTransient: Bool { klingCode?.isTransient ?? false }
}
