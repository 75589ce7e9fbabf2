import Hummingbird
import Logging

/// Every failure in Kling's envelope: an `APIFailure` as itself, the router's not-found as
/// 1202 naming the method and path, anything else as a logged 5000.
struct EnvelopeMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            return Reply.failure(failure)
        } catch let error as HTTPError where error.status == .notFound {
            var path = request.uri.path
            if path.count > 1, path.hasSuffix("/") { path.removeLast() }
            return Reply.failure(.unknownRoute(request.method, path))
        } catch {
            logger.error("internal error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Reply.failure(.internalError())
        }
    }
}
