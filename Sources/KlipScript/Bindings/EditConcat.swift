import KlipMedia

/// `kling.edit.concat({paths...}, out) -> out`: joined, conformed to the first clip.
struct EditConcat: MediaBinding {
    static let name = "edit_concat"
    static let field = "paths"

    let inputs: [String], out: String, outArgument: String

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let list = a[safe: 0] ?? .nil
        guard list.isTable, !list.arrayItems.isEmpty else { throw .argument("paths", "kling.edit.concat needs a list of video paths") }
        var inputs: [String] = []
        for (i, item) in list.arrayItems.enumerated() {
            let field = "paths[\(i + 1)]"
            guard let p = item.stringValue, !p.isEmpty else { throw .argument(field, "must be a path; got a \(item.typeName)") }
            inputs.append(try rt.context.paths.check(p, field: field))
        }
        self.inputs = inputs
        outArgument = try (a[safe: 1] ?? .nil).path("out", "kling.edit.concat needs an output path")
        out = try rt.context.paths.check(outArgument, field: "out")
    }

    func perform() async throws -> [LuaValue] {
        try await MediaEdit.concat(inputs, to: out)
        return [.string(outArgument)]
    }
}
