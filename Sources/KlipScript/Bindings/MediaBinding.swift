import Foundation
import KlipLua

/// A binding that works on local media, not the API (kling.edit's cuts and joins,
/// kling.silences, kling.match), in the same two steps as `ServiceBinding`:
/// - `init(arguments:runtime:)` parses and checks the arguments on the Lua thread (a bad one
///   is an error naming it, and nothing starts);
/// - `perform()` does the work off the Lua thread while the calling coroutine waits.
/// It needs no backend: a script without one can still cut and match.
protocol MediaBinding: Sendable {
    static var name: String { get }
    /// The argument a failure of the work is about (its message names the file).
    static var field: String { get }
    init(arguments: [LuaValue], runtime: LuaRuntime) throws(ScriptError)
    func perform() async throws -> [LuaValue]
}

extension LuaRuntime {
    func register<B: MediaBinding>(_: B.Type) {
        register(B.name, waits: true) { rt, args in
            let request: B
            do throws(ScriptError) { request = try B(arguments: args, runtime: rt) } catch { return .error(error) }
            return .wait {
                do {
                    return .values(try await request.perform())
                } catch let e as ScriptError {
                    return .error(e)
                } catch {
                    if Task.isCancelled || error is CancellationError { return .error(.cancelled("cancelled")) }
                    return .error(ScriptError(kind: .validation, message: "\(error)", field: B.field))
                }
            }
        }
    }

    /// kling.edit's bindings (the module itself is bundled Lua), kling.silences, kling.match.
    func registerEditBindings() {
        register(EditCut.self)
        register(EditCutAudio.self)
        register(EditConcat.self)
        register(Silences.self)
        register(EditWrite.self)
        register(Match.self)
        // The bundled module's source (nil when klip ships none of that name), and the
        // absolute form of a path (for timelines): plain values, nothing to wait for.
        register("bundled") { _, args in
            .values([args.first?.stringValue.flatMap(BundledLua.source(of:)).map { .string($0) } ?? .nil])
        }
        register("edit_absolute") { _, args in
            .values([args.first?.stringValue.map { .string(URL(fileURLWithPath: $0).standardizedFileURL.path) } ?? .nil])
        }
    }
}

extension LuaValue {
    /// A whole number of milliseconds at least `minimum`, or an error naming `field`.
    func milliseconds(_ field: String, atLeast minimum: Int = 0) throws(ScriptError) -> Int {
        guard let ms = integer, ms >= minimum else {
            throw .argument(field, "must be an integer number of milliseconds >= \(minimum)")
        }
        return ms
    }

    /// A non-empty string, or an error naming `field`.
    func path(_ field: String, _ message: String) throws(ScriptError) -> String {
        guard let s = stringValue, !s.isEmpty else { throw .argument(field, message) }
        return s
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
