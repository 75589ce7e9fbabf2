import Foundation
import KlipLua
import KlipMedia

/// The media side of `kling.edit` (cut, concat, audio cuts, the timeline file) and
/// `kling.silences`; the rest of `kling.edit` is bundled Lua (`lua/kling/edit.lua`).
extension LuaRuntime {
    func registerEditBindings() {
        register("bundled") { _, args in
            guard let name = args.first?.stringValue, let source = BundledLua.source(of: name) else { return .values([.nil]) }
            return .values([.string(source)])
        }

        register("edit_cut", waits: true) { rt, args in
            guard let video = args.first?.stringValue else { return .error(.argument("video", "kling.edit.cut needs a video path")) }
            guard let start = args[safe: 1]?.integer, start >= 0 else { return .error(.argument("start_ms", "must be an integer number of milliseconds >= 0")) }
            guard let end = args[safe: 2]?.integer, end > start else { return .error(.argument("end_ms", "must be an integer number of milliseconds > start_ms")) }
            guard let out = args[safe: 3]?.stringValue, !out.isEmpty else { return .error(.argument("out", "kling.edit.cut needs an output path")) }
            let paths: (String, String)
            do throws(ScriptError) { paths = (try rt.context.paths.check(video, field: "video"), try rt.context.paths.check(out, field: "out")) } catch { return .error(error) }
            return .wait {
                await Self.media(field: "video") {
                    try await MediaEdit.cut(paths.0, startMs: start, endMs: end, to: paths.1)
                    return [.string(out)]
                }
            }
        }

        register("edit_cut_audio", waits: true) { rt, args in
            guard let audio = args.first?.stringValue else { return .error(.argument("audio", "kling.edit.cut_audio needs an audio path")) }
            guard let start = args[safe: 1]?.integer, start >= 0 else { return .error(.argument("start_ms", "must be an integer number of milliseconds >= 0")) }
            guard let end = args[safe: 2]?.integer, end > start else { return .error(.argument("end_ms", "must be an integer number of milliseconds > start_ms")) }
            guard let out = args[safe: 3]?.stringValue, !out.isEmpty else { return .error(.argument("out", "kling.edit.cut_audio needs an output path (.wav)")) }
            let paths: (String, String)
            do throws(ScriptError) { paths = (try rt.context.paths.check(audio, field: "audio"), try rt.context.paths.check(out, field: "out")) } catch { return .error(error) }
            return .wait {
                await Self.media(field: "audio") {
                    try await MediaEdit.cutAudio(paths.0, startMs: start, endMs: end, to: paths.1)
                    return [.string(out)]
                }
            }
        }

        register("edit_concat", waits: true) { rt, args in
            let list = args.first ?? .nil
            guard list.isTable, !list.arrayItems.isEmpty else { return .error(.argument("paths", "kling.edit.concat needs a list of video paths")) }
            guard let out = args[safe: 1]?.stringValue, !out.isEmpty else { return .error(.argument("out", "kling.edit.concat needs an output path")) }
            var inputs: [String] = []
            do throws(ScriptError) {
                for (i, item) in list.arrayItems.enumerated() {
                    guard let p = item.stringValue else { throw .argument("paths[\(i + 1)]", "must be a path; got a \(item.typeName)") }
                    inputs.append(try rt.context.paths.check(p, field: "paths[\(i + 1)]"))
                }
                let target = try rt.context.paths.check(out, field: "out")
                let files = inputs
                return .wait {
                    await Self.media(field: "paths") {
                        try await MediaEdit.concat(files, to: target)
                        return [.string(out)]
                    }
                }
            } catch { return .error(error) }
        }

        register("silences", waits: true) { rt, args in
            guard let audio = args.first?.stringValue else { return .error(.argument("audio", "kling.silences needs an audio or video path")) }
            let opts = args[safe: 1] ?? .nil
            var minMs = 300, threshold = -35.0
            if !opts["min_ms"].isNil {
                guard let v = opts["min_ms"].integer, v > 0 else { return .error(.argument("min_ms", "must be an integer number of milliseconds > 0")) }
                minMs = v
            }
            if !opts["threshold_db"].isNil {
                guard let v = opts["threshold_db"].number, v < 0 else { return .error(.argument("threshold_db", "must be a negative number of dB")) }
                threshold = v
            }
            let path: String
            do throws(ScriptError) { path = try rt.context.paths.check(audio, field: "audio") } catch { return .error(error) }
            let (shortest, level) = (minMs, threshold)
            return .wait {
                await Self.media(field: "audio") {
                    let found = try await MediaEdit.silences(path, minMs: shortest, thresholdDb: level)
                    return [.array(found.map { .record([("start_time", .int(Int64($0.start))), ("end_time", .int(Int64($0.end)))]) })]
                }
            }
        }

        register("edit_absolute") { _, args in
            guard let p = args.first?.stringValue else { return .values([.nil]) }
            return .values([.string(URL(fileURLWithPath: p).standardizedFileURL.path)])
        }

        register("edit_write", waits: true) { rt, args in
            guard let out = args.first?.stringValue, !out.isEmpty else { return .error(.argument("path", "needs an output path")) }
            guard let text = args[safe: 1]?.stringValue else { return .error(.argument("text", "needs the text to write")) }
            let path: String
            do throws(ScriptError) { path = try rt.context.paths.check(out, field: "path") } catch { return .error(error) }
            return .wait {
                await Self.media(field: "path") {
                    let url = URL(fileURLWithPath: path)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(text.utf8).write(to: url, options: .atomic)
                    return [.string(out)]
                }
            }
        }
    }

    /// Runs media work; failures become validation errors naming `field` (the message names the file).
    static func media(field: String, _ body: @Sendable () async throws -> [LuaValue]) async -> Outcome {
        do {
            return .values(try await body())
        } catch let e as ScriptError {
            return .error(e)
        } catch {
            if Task.isCancelled { return .error(.cancelled("cancelled")) }
            return .error(ScriptError(kind: "validation", message: "\(error)", field: field))
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
