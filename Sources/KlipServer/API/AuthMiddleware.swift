import Hummingbird

/// Kling's authentication on every API route: a missing or invalid `Authorization` throws the
/// `APIFailure` the envelope middleware answers with.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let auth: Authenticator

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        try auth.check(request.headers[.authorization])
        return try await next(request, context)
    }
}
