import Foundation

/// How to run one script: what `klip run` parsed from its command line.
public struct ScriptOptions: Sendable {
    public enum Source: Sendable, Equatable {
        /// A script file (`klip run SCRIPT`).
        case file(String)
        /// Code from `-e`.
        case code(String)
    }

    public var source: Source
    /// `arg[1...n]`.
    public var arguments: [String]
    /// Allow-listed globals, file access only through bindings and only inside the
    /// script's folder and `allowedDirectories`; memory and CPU limits on by default.
    public var sandbox: Bool
    public var allowedDirectories: [String]
    /// Bytes; nil = the mode's default (none, or 256 MiB under --sandbox); 0 = none.
    public var memoryLimit: UInt64?
    /// Seconds of Lua execution; nil = the mode's default (none, or 60 s under --sandbox); 0 = none.
    public var cpuLimit: Double?
    /// Where the host's own lines go (errors, logs, progress). Default: standard error.
    public var diagnostics: (@Sendable (String) -> Void)?
    /// The live progress line; nil = when standard error is a terminal.
    public var liveProgress: Bool?

    /// Ignore the journal's recorded results: identify again, create new tasks.
    public var fresh: Bool
    /// `klip run --plan`: `kling.planning` is true, and `kling.upload` sends nothing.
    public var planning = false
    /// A Lua file run in the script's state before the script (`init.lua`); nil: none.
    public var initFile: String?
    /// The built-in S3 upload is configured (`KLIP_UPLOAD` / `--upload`).
    public var builtInUpload = false

    public init(source: Source, arguments: [String] = [], sandbox: Bool = false,
                allowedDirectories: [String] = [], memoryLimit: UInt64? = nil, cpuLimit: Double? = nil,
                diagnostics: (@Sendable (String) -> Void)? = nil, liveProgress: Bool? = nil, fresh: Bool = false) {
        self.fresh = fresh
        self.source = source
        self.arguments = arguments
        self.sandbox = sandbox
        self.allowedDirectories = allowedDirectories
        self.memoryLimit = memoryLimit
        self.cpuLimit = cpuLimit
        self.diagnostics = diagnostics
        self.liveProgress = liveProgress
    }

    public static let sandboxMemoryLimit: UInt64 = 256 << 20
    public static let sandboxCPULimit: Double = 60

    var effectiveMemoryLimit: UInt64? {
        let v = memoryLimit ?? (sandbox ? Self.sandboxMemoryLimit : 0)
        return v == 0 ? nil : v
    }
    var effectiveCPULimit: Double? {
        let v = cpuLimit ?? (sandbox ? Self.sandboxCPULimit : 0)
        return v <= 0 ? nil : v
    }

    /// "1048576", "512K", "64M", "2G" (powers of 1024; an optional trailing "B" or "iB").
    public static func parseSize(_ text: String) -> UInt64? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        var shift: UInt64 = 0
        switch t.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        default: break
        }
        if shift > 0 { t.removeLast() }
        guard let n = Double(t), n >= 0, n.isFinite else { return nil }
        let bytes = n * Double(UInt64(1) << shift)
        guard bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }

    /// The script's name for log prefixes.
    var scriptName: String {
        switch source {
        case let .file(path): return (path as NSString).lastPathComponent
        case .code: return "(command line)"
        }
    }
}
