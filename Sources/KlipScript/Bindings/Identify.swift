import KlingAPI

/// `identify(video)`: a path or URL, or `{video_url=...}` / `{video_id=...}`; the session table.
struct Identify: ServiceBinding {
    static let name = "identify"

    enum Video: Sendable {
        /// A local path (checked against the sandbox), sent the way the backend takes files.
        case local(String)
        case request(IdentifyFaceRequest)
    }

    let video: Video

    init(arguments: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let arg = arguments.first ?? .nil
        switch arg {
        case let .string(s):
            video = .local(try rt.context.paths.check(s, field: "video_url"))
        case .table:
            let url = arg["video_url"].stringValue
            let id = arg["video_id"].stringValue ?? arg["video_id"].integer.map(String.init)
            if (url == nil) == (id == nil) {
                throw .argument("video_url", "identify needs exactly one of video_url or video_id")
            }
            if let url, !PathPolicy.isURL(url) {
                video = .local(try rt.context.paths.check(url, field: "video_url"))
            } else {
                video = .request(IdentifyFaceRequest(videoID: id, videoURL: url))
            }
        default:
            throw .argument("video_url", "identify needs a video path or URL, or {video_url=...} / {video_id=...}; got a \(arg.typeName)")
        }
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        let result = switch video {
        case let .local(path): try await service.identify(video: path)
        case let .request(request): try await service.identify(request)
        }
        if let plan = context.plan {
            let shown = switch video {
            case let .local(path): path
            case let .request(request): request.videoURL ?? "video_id " + (request.videoID ?? "?")
            }
            plan.identified(sessionID: result.sessionID, video: shown)
        }
        return [Tables.session(result)]
    }
}
