import ServiceLifecycle

/// The renders and callbacks as a member of the server's `ServiceGroup`: it idles until the
/// group shuts down (a signal, `RunningEmulator.stop()`, or the listener failing), then
/// stops the renders (their tasks keep their stored status and run again at the next start)
/// and the pending callbacks. Listed before the HTTP service, so the group stops it after
/// the listener has drained: a create in flight still finds the queue, or leaves its task
/// `submitted` for the next start.
struct WorkService: ServiceLifecycle.Service {
    let runner: TaskRunner
    let callbacks: CallbackSender

    func run() async throws {
        // Returns on graceful shutdown and on cancellation alike: either way, stop the work.
        try? await gracefulShutdown()
        await runner.stop()
        await callbacks.cancelAll()
    }
}
