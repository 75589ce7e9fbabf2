import Hummingbird
import KlingAPI

/// A non-zero answer: Kling's code, its HTTP status and a message (which, for `invalidParameter`, names the field).
struct APIFailure: Error, Sendable, Equatable {
    var code: KlingCode
    var status: HTTPResponse.Status
    var message: String

    static func missingAuthorization() -> APIFailure {
        .init(code: .authMissing, status: .unauthorized, message: "Authorization header is missing or empty; send Authorization: Bearer <key or JWT>")
    }
    static func invalidAuthorization(_ why: String) -> APIFailure {
        .init(code: .authInvalid, status: .unauthorized, message: "Authorization is invalid: \(why)")
    }
    static func tokenNotYetValid() -> APIFailure {
        .init(code: .tokenNotYetValid, status: .unauthorized, message: "token is not yet valid (nbf is in the future)")
    }
    static func tokenExpired() -> APIFailure {
        .init(code: .tokenExpired, status: .unauthorized, message: "token has expired (exp is in the past)")
    }
    static func invalidRequest(_ message: String) -> APIFailure {
        .init(code: .invalidRequest, status: .badRequest, message: "invalid request: \(message)")
    }
    /// 1201, naming the field the way the client's preflight does.
    static func invalidParameter(_ field: String, _ message: String) -> APIFailure {
        .init(code: .invalidParameter, status: .badRequest, message: KlingError.validation(field, message).description)
    }
    static func invalidParameter(_ error: KlingError) -> APIFailure {
        invalidParameter(error.field ?? "request", error.message)
    }
    static func unknownRoute(_ method: HTTPRequest.Method, _ path: String) -> APIFailure {
        .init(code: .invalidMethod, status: .notFound, message: "no such method or route: \(method) \(path)")
    }
    static func notFound(_ message: String) -> APIFailure {
        .init(code: .notFound, status: .notFound, message: message)
    }
    static func tooManyParallel(_ limit: Int) -> APIFailure {
        .init(code: .tooManyParallelTasks, status: .tooManyRequests, message: "too many parallel tasks: \(limit) already submitted or processing (the limit is \(limit)); retry after one ends")
    }
    static func internalError(_ message: String = "internal error") -> APIFailure {
        .init(code: .internalError, status: .internalServerError, message: message)
    }
}
