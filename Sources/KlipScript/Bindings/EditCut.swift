import KlipMedia

/// `kling.edit.cut(video, start_ms, end_ms, out) -> out`: the range, frame-exact, re-encoded
/// with its audio.
struct EditCut: MediaBinding {
    static let name = "edit_cut"
    static let field = "video"

    let video: String, start: Int, end: Int, out: String, outArgument: String

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        video = try rt.context.paths.check((a[safe: 0] ?? .nil).path("video", "kling.edit.cut needs a video path"), field: "video")
        start = try (a[safe: 1] ?? .nil).milliseconds("start_ms")
        end = try (a[safe: 2] ?? .nil).milliseconds("end_ms", atLeast: start + 1)
        outArgument = try (a[safe: 3] ?? .nil).path("out", "kling.edit.cut needs an output path")
        out = try rt.context.paths.check(outArgument, field: "out")
    }

    func perform() async throws -> [LuaValue] {
        try await MediaEdit.cut(video, startMs: start, endMs: end, to: out)
        return [.string(outArgument)]
    }
}

/// `kling.edit.cut_audio(audio, start_ms, end_ms, out) -> out`: that span as WAV.
struct EditCutAudio: MediaBinding {
    static let name = "edit_cut_audio"
    static let field = "audio"

    let audio: String, start: Int, end: Int, out: String, outArgument: String

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        audio = try rt.context.paths.check((a[safe: 0] ?? .nil).path("audio", "kling.edit.cut_audio needs an audio path"), field: "audio")
        start = try (a[safe: 1] ?? .nil).milliseconds("start_ms")
        end = try (a[safe: 2] ?? .nil).milliseconds("end_ms", atLeast: start + 1)
        outArgument = try (a[safe: 3] ?? .nil).path("out", "kling.edit.cut_audio needs an output path (.wav)")
        out = try rt.context.paths.check(outArgument, field: "out")
    }

    func perform() async throws -> [LuaValue] {
        try await MediaEdit.cutAudio(audio, startMs: start, endMs: end, to: out)
        return [.string(outArgument)]
    }
}
