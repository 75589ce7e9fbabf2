import Foundation

/// `B.edit_write(path, text)`: a text file the bundled Lua writes (timelines), its folder
/// made as needed, inside the paths the script may use. Not in `kling`: io may be sandboxed away.
struct EditWrite: MediaBinding {
    static let name = "edit_write"
    static let field = "path"

    let path: String, pathArgument: String, text: String

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        pathArgument = try (a[safe: 0] ?? .nil).path("path", "needs an output path")
        path = try rt.context.paths.check(pathArgument, field: "path")
        guard let text = a[safe: 1]?.stringValue else { throw .argument("text", "needs the text to write") }
        self.text = text
    }

    func perform() async throws -> [LuaValue] {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
        return [.string(pathArgument)]
    }
}
