import Foundation

/// The Lua modules klip ships (`lua/kling/*.lua`), read from the binary's resource bundle,
/// never from the working directory.
public enum BundledLua {
    /// Module names (`"kling.edit"`) this bundle holds.
    public static let modules = ["kling.edit"]

    /// The source of a bundled module, or nil when klip ships no such module.
    public static func source(of module: String) -> String? {
        guard modules.contains(module) else { return nil }
        let parts = module.split(separator: ".").map(String.init)
        guard let url = Bundle.module.url(forResource: parts.last, withExtension: "lua",
                                          subdirectory: parts.dropLast().joined(separator: "/")) else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }
}
