import CLuaGlue
import Foundation
import KlipMedia

/// The bindings that do not need the API: scheduling, logging, JSON, media probing.
extension LuaRuntime {
    func registerCoreBindings() {
        registerSchedulingBindings()
        registerTextBindings()
        registerProbe()
    }

    /// kling.sleep, wait's join of a spawned function, os.exit.
    private func registerSchedulingBindings() {
        register("sleep", waits: true) { _, args in
            guard let seconds = args.first?.number, seconds >= 0, seconds.isFinite else {
                return .error(.argument("seconds", "kling.sleep needs a number of seconds >= 0"))
            }
            return .wait {
                do {
                    try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                    return .values([])
                } catch {
                    return .error(.cancelled("sleep cancelled"))
                }
            }
        }

        register("join", waits: true) { rt, args in
            guard case let .handle(h)? = args.first, let t = rt.thread(handle: h) else {
                return .error(.argument("handle", "wait needs a handle from kling.spawn"))
            }
            return rt.joinResult(t)
        }

        // os.exit ends the run cleanly: pending <close> handlers run, in-flight work is
        // cancelled, and the process exits with the status (pcall cannot catch it).
        register("exit") { rt, args in
            switch args.first ?? .nil {
            case .nil, .bool(true): rt.exitStatus = 0
            case .bool(false): rt.exitStatus = 1
            case let v:
                guard let code = v.integer else { return .error(.argument("code", "os.exit needs an integer, true or false")) }
                rt.exitStatus = Int32(truncatingIfNeeded: code)
            }
            klip_request_exit(rt.L)
            return .values([])
        }
    }

    /// kling.log and kling.json.
    private func registerTextBindings() {
        register("log") { rt, args in
            let text = args.first?.stringValue ?? ""
            rt.context.progress.clear()
            rt.context.diagnostics("[\(rt.context.scriptName)] \(text)")
            rt.context.progress.redraw()
            return .values([])
        }

        register("json_encode") { _, args in
            do throws(JSON.Failure) {
                return .values([.string(try JSON.encode(args.first ?? .nil))])
            } catch {
                return .error(.argument("value", "kling.json.encode: \(error.message)"))
            }
        }

        register("json_decode") { _, args in
            guard let text = args.first?.stringValue else {
                return .error(.argument("text", "kling.json.decode needs a string"))
            }
            do throws(JSON.Failure) {
                return .values([try JSON.decode(text)])
            } catch {
                return .error(.argument("text", "kling.json.decode: \(error.message)"))
            }
        }
    }

    private func registerProbe() {
        register("probe", waits: true) { rt, args in
            guard let target = args.first?.stringValue else {
                return .error(.argument("path", "kling.probe needs a path or URL"))
            }
            let path: String
            do throws(ScriptError) { path = try rt.context.paths.check(target, field: "path") } catch { return .error(error) }
            return .wait {
                do {
                    let info = try await MediaProbe.probe(path)
                    return .values([Self.probeTable(info)])
                } catch is CancellationError {
                    return .error(.cancelled("probe cancelled"))
                } catch {
                    return .error(ScriptError(kind: .validation, message: "\(error)", field: "path"))
                }
            }
        }
    }

    static func probeTable(_ info: MediaInfo) -> LuaValue {
        .record([
            ("duration", .int(Int64(info.durationMs))),
            ("width", info.video.map { .int(Int64($0.width)) } ?? .nil),
            ("height", info.video.map { .int(Int64($0.height)) } ?? .nil),
            ("fps", info.video.map { .double($0.fps) } ?? .nil),
            ("has_video", .bool(info.video != nil)),
            ("has_audio", .bool(info.audio != nil)),
            ("audio_duration", info.audioDurationMs.map { .int(Int64($0)) } ?? .nil),
            ("format", .string(info.formatName)),
            ("size", info.sizeBytes.map { .int($0) } ?? .nil),
        ])
    }
}

extension LuaValue {
    var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }
    /// An integer (a float with an integral value counts).
    var integer: Int? {
        switch self {
        case let .int(i): return Int(exactly: i)
        case let .double(d) where d == d.rounded() && d.isFinite: return Int(exactly: d)
        default: return nil
        }
    }
}
