import Foundation

/// Where the user's init file is: `KLIP_INIT`, else `$XDG_CONFIG_HOME/klip/init.lua`, else
/// `~/.config/klip/init.lua`. A file named by `KLIP_INIT` must exist; the default may not.
public enum InitFile {
    public static func resolve(environment env: [String: String] = ProcessInfo.processInfo.environment) throws(ScriptError) -> String? {
        if let named = env["KLIP_INIT"], !named.isEmpty {
            guard FileManager.default.isReadableFile(atPath: named) else {
                throw ScriptError(kind: .validation, message: "\(named): no such readable file (unset KLIP_INIT, or use --no-init)", field: "KLIP_INIT")
            }
            return named
        }
        let config: String
        if let xdg = env["XDG_CONFIG_HOME"], !xdg.isEmpty {
            config = xdg
        } else if let home = env["HOME"], !home.isEmpty {
            config = home + "/.config"
        } else {
            return nil
        }
        let path = config + "/klip/init.lua"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
