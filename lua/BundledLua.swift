import Foundation

/// The Lua modules klip ships (`lua/kling/*.lua`): read from the binary's resource bundle
/// (`klip_KlipLua.resources` beside the executable), else from the source tree's `lua/` this
/// binary was built from; never from the working directory. Looked up by hand rather than
/// through `Bundle.module`, which ends the process when the bundle is missing.
public enum BundledLua {
    /// Module names (`"kling.edit"`) this bundle holds.
    public static let modules = ["kling.edit"]

    /// The source of a bundled module, or nil when klip ships no such module.
    public static func source(of module: String) -> String? {
        guard modules.contains(module), let root = directory else { return nil }
        let file = root.appendingPathComponent(module.replacingOccurrences(of: ".", with: "/") + ".lua")
        return try? String(contentsOf: file, encoding: .utf8)
    }

    static let directory: URL? = {
        let name = "klip_KlipLua.resources"
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(exe.appendingPathComponent(name))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(name))
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("kling/edit.lua").path) }
    }()
}
