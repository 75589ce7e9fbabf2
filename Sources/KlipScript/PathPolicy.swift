import Foundation

/// The one rule for every path or URL a binding reads, writes or hands to ffmpeg/ffprobe:
/// an http(s) URL, or a local file, made absolute with its symlinks resolved *before* it is
/// checked (so `link/..` and dangling links cannot step outside). Under `--sandbox` the file
/// must lie in the script's folder or an `--allow-dir` folder. Anything else with a scheme
/// (`file:/x`, `concat:`, `pipe:`, `tcp://`...) is refused: ffmpeg would read it as a protocol.
struct PathPolicy: Sendable {
    let restricted: Bool
    let roots: [String]

    init(options: ScriptOptions) {
        restricted = options.sandbox
        var roots: [String] = []
        switch options.source {
        case let .file(path):
            roots.append(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        case .code:
            roots.append(FileManager.default.currentDirectoryPath)
        }
        roots.append(contentsOf: options.allowedDirectories)
        self.roots = roots.map { Self.resolve($0) }
    }

    static func isURL(_ s: String) -> Bool {
        let l = s.lowercased()
        return l.hasPrefix("http://") || l.hasPrefix("https://")
    }

    /// `scheme:` at the start (RFC 3986 scheme characters), as ffmpeg finds protocols.
    static func hasScheme(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon != s.startIndex else { return false }
        let scheme = s[..<colon]
        return scheme.first!.isASCII && scheme.first!.isLetter
            && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// Something to read: an http(s) URL as given, or a checked local file (absolute, resolved).
    func check(_ path: String, field: String) throws(ScriptError) -> String {
        if Self.isURL(path) { return path }
        return try checkFile(path, field: field)
    }

    /// Something to write: only a plain local file path (absolute, resolved, checked).
    func checkOutput(_ path: String, field: String) throws(ScriptError) -> String {
        if Self.isURL(path) {
            throw .argument(field, "\(path) is a URL; give a file path to write to")
        }
        return try checkFile(path, field: field)
    }

    private func checkFile(_ path: String, field: String) throws(ScriptError) -> String {
        var local = path
        if local.lowercased().hasPrefix("file://") {
            guard let url = URL(string: local), url.isFileURL, url.host == nil || url.host == "" || url.host == "localhost" else {
                throw .argument(field, "\(path) is not a local file URL")
            }
            local = url.path
        } else if Self.hasScheme(local) {
            throw .argument(field, "\(path) is neither a file path nor an http(s) URL (write ./\(path) for a file whose name has a colon)")
        }
        guard !local.isEmpty, !local.contains("\0") else { throw .argument(field, "is not a file path") }
        let resolved = Self.resolve(local)
        guard restricted else { return resolved }
        for root in roots where resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            return resolved
        }
        // The same answer whether or not the file exists: nothing about outside paths leaks.
        throw ScriptError(kind: .validation,
                          message: "\(path) is outside the folders this sandboxed script may use (its own folder and --allow-dir folders)",
                          field: field)
    }

    /// The absolute form of `path` with every symlink resolved, component by component in
    /// order (as the kernel would), before any `..` is applied to what it names. Parts that
    /// do not exist yet are kept as written; a dangling link resolves to where it points.
    static func resolve(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        // A path that exists is resolved by the C library in one call, by the same rule (each
        // link in order, `..` after it); the walk below is for what does not exist yet.
        if let real = realpath(absolute, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        var pending = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var parts: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            let candidate = "/" + (parts + [part]).joined(separator: "/")
            if hops < 40, let target = linkTarget(candidate) {
                hops += 1
                if target.hasPrefix("/") { parts = [] }
                pending.insert(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).map(String.init), at: 0)
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
