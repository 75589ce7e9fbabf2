import ArgumentParser
import Foundation
import KlipScript

/// `klip dub VIDEO --audio FILE --out OUT [--face N] [--insert MS] [--otio FILE]`:
/// `kling.edit.dub` from the command line.
struct DubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dub",
        abstract: "Lip-sync a video of any length to an audio track of any length.",
        discussion: """
        The video is split into Kling-valid segments (2-60 s), cut preferably in the audio's \
        pauses where the face is on screen on both sides of the cut (a cut made otherwise is \
        logged); segments where the audio speaks are identified and lip-synced concurrently, the \
        others pass through untouched; the pieces are joined into OUT (the input's length). A \
        rerun creates no task (the journal). Intermediate files go to OUT.parts/.
        """
    )

    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var uploads: LocalUpload

    @Argument(help: ArgumentHelp("The video to dub.", valueName: "VIDEO")) var video: String
    @Option(help: ArgumentHelp("The audio track to lip-sync to.", valueName: "FILE")) var audio: String
    @Option(help: ArgumentHelp("The finished video (.mp4).", valueName: "OUT")) var out: String
    @Option(help: ArgumentHelp("Which face of each segment to lip-sync: its position in identify's list, from 1 (default: the first).", valueName: "N"))
    var face: Int?
    @Option(help: ArgumentHelp("Where the audio starts on the video's timeline, in ms.", valueName: "MS")) var insert: Int = 0
    @Option(name: .customLong("audio-start"), help: ArgumentHelp("Where to start in the audio, in ms.", valueName: "MS"))
    var audioStart: Int = 0
    @Option(help: ArgumentHelp("Also write an OpenTimelineIO timeline of the cut.", valueName: "FILE")) var otio: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if let face, face < 1 { throw ValidationError("--face: positions start at 1") }
        if insert < 0 { throw ValidationError("--insert: must be >= 0 ms") }
        if audioStart < 0 { throw ValidationError("--audio-start: must be >= 0 ms") }
        for (name, path) in [("VIDEO", video), ("--audio", audio)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(name): \(path) does not exist")
        }
    }

    static let script = """
    local o = kling.json.decode(arg[1])
    local r = kling.edit.dub(o)
    if arg[2] == "json" then
      print(kling.json.encode(r))
    else
      for i, s in ipairs(r.segments) do
        print(("%3d  %8d-%-8d ms  %-9s %s"):format(i, s.start_time, s.end_time, s.status, s.task_id or ""))
      end
      print(("%s: %.2f s, billed %.2f s"):format(r.path, r.duration / 1000, r.billed_ms / 1000))
    end
    """

    func run() async throws {
        var spec: [String: Any] = ["video": video, "audio": audio, "out": out, "insert": insert, "audio_start": audioStart]
        if let face { spec["face"] = face }
        if let otio { spec["otio"] = otio }
        let encoded = String(decoding: try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys]), as: UTF8.self)
        var backendOptions = backendOptions
        if backendOptions.mediaRoot.isEmpty {
            let cwd = FileManager.default.currentDirectoryPath
            backendOptions.mediaRoot = [cwd] + [video, out].map {
                URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: cwd)).deletingLastPathComponent().standardizedFileURL.path
            }
        }
        let backend = try backendOptions.makeBackend()
        var options = ScriptOptions(source: .code(Self.script), arguments: [encoded, json ? "json" : "text"])
        try await uploads.prepare(&options, backend: backend)
        let result = await ScriptRunner(options: options, backend: backend).run()
        await backend.shutdown()
        if result.exitStatus != 0 { Foundation.exit(result.exitStatus) }
    }
}
