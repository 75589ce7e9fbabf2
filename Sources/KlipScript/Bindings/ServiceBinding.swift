import Foundation
import KlingAPI

/// A binding the API answers, in two steps:
/// - `init(arguments:runtime:)` parses the Lua arguments into a typed request, on the Lua
///   thread, before anything starts: a bad argument is an error naming it, and nothing is sent;
/// - `perform(on:context:)` runs that request on the run's `LipSyncService` (off the Lua
///   thread) while the calling coroutine waits; what it returns are the binding's results.
///
/// The service is the client, or the client behind the run's journal: a binding never knows
/// which. Add one with `register(MyBinding.self)` in `registerKlingBindings()`.
protocol ServiceBinding: Sendable {
    /// The binding's name in the prelude (see `LuaRuntime.displayName`).
    static var name: String { get }
    init(arguments: [LuaValue], runtime: LuaRuntime) throws(ScriptError)
    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue]
}

extension LuaRuntime {
    func register<B: ServiceBinding>(_: B.Type) {
        register(B.name, waits: true) { rt, args in
            let request: B
            do throws(ScriptError) { request = try B(arguments: args, runtime: rt) } catch { return .error(error) }
            let context = rt.context
            return .wait { await context.perform { service in try await request.perform(on: service, context: context) } }
        }
    }

    /// identify, lipsync, wait, task, download: the API through the run's service.
    func registerKlingBindings() {
        register(Identify.self)
        register(LipSync.self)
        register(WaitTasks.self)
        register(TaskQuery.self)
        register(Download.self)
    }
}

extension ScriptContext {
    /// Runs `body` on the run's service; every failure becomes the error table.
    func perform(_ body: @Sendable (any LipSyncService) async throws -> [LuaValue]) async -> Outcome {
        guard backend != nil else {
            return .error(ScriptError(kind: .network, message: "no API backend is configured for this run"))
        }
        do {
            return .values(try await body(try await service()))
        } catch let e as KlingError {
            return .error(ScriptError(e))
        } catch is CancellationError {
            return .error(.cancelled("cancelled"))
        } catch let e as ScriptError {
            return .error(e)
        } catch {
            if Task.isCancelled { return .error(.cancelled("cancelled")) }
            return .error(ScriptError(kind: .network, message: "\(error)"))
        }
    }
}

extension ScriptError {
    init(_ e: KlingError) {
        let kind: Kind = switch e.kind {
        case .validation: .validation
        case .api: .api
        case .network: .network
        case .timeout: .timeout
        case .failed: .failed
        case .cancelled: .cancelled
        }
        self.init(kind: kind, message: e.message, field: e.field, code: e.code,
                  requestID: e.requestID, taskID: e.taskID)
    }
}
