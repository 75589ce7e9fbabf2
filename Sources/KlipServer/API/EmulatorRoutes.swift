import Hummingbird

/// The emulator's routes: Kling's endpoints, mounted at both `/kling/v1` and `/v1`, and the
/// files under `/files/`. Middleware, outermost first: fault injection (API prefixes only),
/// the envelope (every failure, unknown routes included), then authentication (API routes only).
enum EmulatorRoutes {
    static let prefixes = ["/kling/v1", "/v1"]

    static func router(service: Service, faults: FaultInjector?) -> Router<EmulatorRequestContext> {
        let router = Router(context: EmulatorRequestContext.self)
        // Router middleware wraps the not-found responder too, so unknown routes get the
        // same faults and the same envelope as known ones.
        if let faults { router.add(middleware: FaultMiddleware(injector: faults, logger: service.logger)) }
        router.add(middleware: EnvelopeMiddleware(logger: service.logger))
        let api = kling(service)
        for prefix in prefixes { router.addRoutes(api, atPath: RouterPath(prefix)) }
        router.get("/files/**") { request, context in try await files(request, context: context, service: service) }
        router.head("/files/**") { request, context in try await files(request, context: context, service: service) }
        return router
    }

    /// Kling's lip-sync endpoints, each behind the API key or JWT check.
    static func kling(_ service: Service) -> RouteCollection<EmulatorRequestContext> {
        let routes = RouteCollection(context: EmulatorRequestContext.self)
        routes.add(middleware: AuthMiddleware(auth: service.auth))
        routes.post("videos/identify-face") { request, _ in try await service.identifyFace(request) }
        routes.post("videos/advanced-lip-sync") { request, _ in try await service.createTask(request) }
        routes.get("videos/advanced-lip-sync") { request, _ in try await service.listTasks(request) }
        routes.get("videos/advanced-lip-sync/:id") { request, context in
            let raw = try context.parameters.require("id")
            return try await service.queryTask(raw.removingPercentEncoding ?? raw, request: request)
        }
        return routes
    }

    /// The file server checks the raw path itself (the router collapses empty components).
    private static func files(_ request: Request, context: EmulatorRequestContext, service: Service) async throws -> Response {
        let relative = String(request.uri.path.dropFirst("/files/".count))
        return try await FileServer.serve(relative, head: request.method == .head,
                                          root: service.layout.publicRoot, context: context)
    }
}
