import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The only gate between a request and the local file system: a path is usable only when,
/// after `..` and every symlink are resolved, it lies inside a configured media root.
struct MediaRoots: Sendable {
    /// Canonical (real) paths of the roots.
    let roots: [String]

    /// Canonicalises each root; a root that does not exist is a configuration error.
    init(_ configured: [String]) throws {
        var real: [String] = []
        for root in configured {
            guard root.hasPrefix("/"), let r = Self.realPath(root) else {
                throw EmulatorStartError("media root \(root) is not an existing absolute directory")
            }
            real.append(r)
        }
        roots = real
    }

    enum Rejection: Error, Sendable, Equatable {
        case noRoots, relative, outsideRoots, missing, notAFile
    }

    /// Resolves `path` (absolute) to a real regular file inside a root.
    func resolve(_ path: String) throws(Rejection) -> String {
        if roots.isEmpty { throw .noRoots }
        guard path.hasPrefix("/") else { throw .relative }
        // Lexical check first: a path outside every root is refused without touching the disk,
        // so answers reveal nothing about files elsewhere.
        guard contains(Self.normalize(path)) else { throw .outsideRoots }
        guard let real = Self.realPath(path) else { throw .missing }
        guard contains(real) else { throw .outsideRoots }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isDir), !isDir.boolValue else { throw .notAFile }
        return real
    }

    func contains(_ path: String) -> Bool {
        roots.contains { root in root == "/" || path == root || path.hasPrefix(root + "/") }
    }

    /// Removes `.`, `..` and empty components without consulting the file system.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
