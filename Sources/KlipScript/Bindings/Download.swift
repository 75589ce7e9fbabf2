import Foundation
import KlingAPI

/// `kling.download(result, path)`: the result's first video saved at `path`; returns `path`.
struct Download: ServiceBinding {
    static let name = "download"

    let url: String
    /// As the script gave it (returned), and as checked (written).
    let pathArgument: String
    let path: String
    let taskID: String?

    init(arguments: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let source = arguments.first ?? .nil
        switch source {
        case let .string(s): url = s
        case .table:
            if let u = source["videos"][1]["url"].stringValue ?? source["url"].stringValue { url = u }
            else if Tables.taskID(source) != nil {
                throw .argument("result", "this task has no video yet: wait for it first (kling.download(wait(task), path))")
            } else {
                throw .argument("result", "kling.download needs a result (from wait), a video table or a URL")
            }
        default:
            throw .argument("result", "kling.download needs a result (from wait) or a URL; got a \(source.typeName)")
        }
        guard let pathArg = arguments.count > 1 ? arguments[1].stringValue : nil, !pathArg.isEmpty else {
            throw .argument("path", "kling.download needs a destination path")
        }
        pathArgument = pathArg
        path = try rt.context.paths.checkOutput(pathArg, field: "path")
        taskID = source.isTable ? Tables.taskID(source) : nil
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        // A plan's results are the unrendered input: written over a real result, they would
        // destroy what was paid for. Only a path that does not exist yet gets one.
        if context.plan != nil, FileManager.default.fileExists(atPath: path) {
            context.diagnostics("[\(context.scriptName)] plan: \(pathArgument) exists; not overwritten with an unrendered result")
            return [.string(pathArgument)]
        }
        try await service.download(url, to: path, for: taskID)
        return [.string(pathArgument)]
    }
}
