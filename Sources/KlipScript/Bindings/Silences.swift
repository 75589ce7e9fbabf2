import KlipMedia

/// `kling.silences(audio, {min_ms = 300, threshold_db = -35}) -> {{start_time, end_time}, ...}`.
struct Silences: MediaBinding {
    static let name = "silences"
    static let field = "audio"

    let audio: String, minMs: Int, thresholdDb: Double

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        audio = try rt.context.paths.check((a[safe: 0] ?? .nil).path("audio", "kling.silences needs an audio or video path"), field: "audio")
        let opts = a[safe: 1] ?? .nil
        minMs = opts["min_ms"].isNil ? 300 : try opts["min_ms"].milliseconds("min_ms", atLeast: 1)
        if opts["threshold_db"].isNil {
            thresholdDb = -35
        } else {
            guard let v = opts["threshold_db"].number, v < 0 else { throw .argument("threshold_db", "must be a negative number of dB") }
            thresholdDb = v
        }
    }

    func perform() async throws -> [LuaValue] {
        let found = try await MediaEdit.silences(audio, minMs: minMs, thresholdDb: thresholdDb)
        return [.array(found.map { .record([("start_time", .int(Int64($0.start))), ("end_time", .int(Int64($0.end)))]) })]
    }
}
