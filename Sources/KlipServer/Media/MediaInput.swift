import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging

/// Turns a `video_url` / `sound_file` reference into a local file: http(s) is downloaded
/// (streamed, size-capped); `file://` URLs and absolute paths only inside a media root.
struct MediaInput: Sendable {
    let roots: MediaRoots
    let http: HTTPClient
    let logger: Logger
    /// `klip serve --loopback-only`: http(s) only from loopback hosts.
    var loopbackOnly = false
    /// `klip serve --remote-only`: as Kling's cloud, only http(s) URLs (no paths, no file://).
    var remoteOnly = false

    enum Reference: Sendable, Equatable {
        case remote(URL)
        case local(String)
    }

    /// Downloads fail at the first refused or unreachable connection: the shared client retries
    /// connecting until the request's deadline, so a URL naming a closed port held the request
    /// for two minutes (found by scripts/fuzz). Process-wide, never shut down (like `.shared`).
    static let httpClient = makeClient(followRedirects: true)
    /// For `--loopback-only`: a redirect could lead off the machine, so none is followed.
    static let loopbackHTTPClient = makeClient(followRedirects: false)

    private static func makeClient(followRedirects: Bool) -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = followRedirects ? .follow(max: 5, allowCycles: false) : .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Classifies without touching the network or the disk.
    func reference(_ value: String, field: String) throws(APIFailure) -> Reference {
        let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let isHTTP = lower.hasPrefix("http://") || lower.hasPrefix("https://")
        if remoteOnly && !isHTTP {
            throw .invalidParameter(field, "must be a public http(s) URL: Kling's cloud reads no local paths or file:// URLs (upload the file and send its URL)")
        }
        if isHTTP {
            guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
                throw .invalidParameter(field, "\(text) is not a valid http(s) URL")
            }
            if loopbackOnly && !Self.isLoopbackHost(host) {
                throw .invalidParameter(field, "\(Self.redacted(url)): this emulator fetches only from loopback hosts (127.0.0.1, ::1, localhost)")
            }
            return .remote(url)
        }
        if lower.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL else {
                throw .invalidParameter(field, "\(text) is not a valid file:// URL")
            }
            let host = url.host ?? ""
            guard host.isEmpty || host.lowercased() == "localhost" else {
                throw .invalidParameter(field, "file:// URLs must name a local file (no host); got host \(host)")
            }
            return .local(url.path)
        }
        if text.hasPrefix("/") { return .local(text) }
        throw .invalidParameter(field, "must be an http(s) URL, or a file:// URL or absolute path inside a configured media root")
    }

    /// A local file for `reference`: downloads go to `directory/baseName.<ext>`; local files
    /// are returned where they are (resolved), never copied here.
    func fetch(_ reference: Reference, field: String, limit: Int64, limitText: String,
               into directory: URL, baseName: String) async throws(APIFailure) -> String {
        switch reference {
        case let .local(path):
            do {
                return try roots.resolve(path)
            } catch {
                switch error {
                case .noRoots:
                    throw .invalidParameter(field, "local files are refused: no media root is configured (give an http(s) URL, or start the emulator with a media root)")
                case .relative:
                    throw .invalidParameter(field, "\(path) is not an absolute path")
                case .outsideRoots:
                    throw .invalidParameter(field, "\(path) is outside the configured media roots (--media-root allows a folder)")
                case .missing:
                    throw .invalidParameter(field, "\(path): no such file in the media roots")
                case .notAFile:
                    throw .invalidParameter(field, "\(path) is not a regular file")
                }
            }
        case let .remote(url):
            // Keep the URL's extension: Kling judges media by it. Without one, the file gets
            // none, and the container decides.
            let ext = Self.fileExtension(url.path)
            let destination = directory.appendingPathComponent(ext == "bin" ? baseName : "\(baseName).\(ext)")
            try await download(url, to: destination, field: field, limit: limit, limitText: limitText)
            return destination.path
        }
    }

    /// A literal loopback address or `localhost`: no name is resolved to decide.
    static func isLoopbackHost(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Lower-case extension of a URL or file path, or "bin".
    static func fileExtension(_ path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        return !ext.isEmpty && ext.count <= 5 && ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? ext : "bin"
    }

    private func download(_ url: URL, to destination: URL, field: String, limit: Int64, limitText: String) async throws(APIFailure) {
        let shown = Self.redacted(url)
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            let request = HTTPClientRequest(url: url.absoluteString)
            let response = try await http.execute(request, timeout: .seconds(120))
            guard response.status.code == 200 else {
                throw APIFailure.invalidParameter(field, "\(shown) answered HTTP \(response.status.code)")
            }
            if let length = response.headers.first(name: "content-length").flatMap({ Int64($0) }), length > limit {
                throw APIFailure.invalidParameter(field, "\(shown) is \(length) bytes; the limit is \(limitText)")
            }
            guard FileManager.default.createFile(atPath: destination.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: destination.path) else {
                throw APIFailure.internalError("cannot write the download")
            }
            defer { try? handle.close() }
            var total: Int64 = 0
            for try await buffer in response.body {
                total += Int64(buffer.readableBytes)
                if total > limit {
                    throw APIFailure.invalidParameter(field, "\(shown) is larger than the limit of \(limitText)")
                }
                try handle.write(contentsOf: Data(buffer.readableBytesView))
            }
        } catch let failure as APIFailure {
            try? FileManager.default.removeItem(at: destination)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: destination)
            logger.info("download failed", metadata: ["url": "\(shown)", "error": "\(error)"])
            throw .invalidParameter(field, "\(shown) could not be downloaded (\(error))")
        }
    }

    /// Scheme, host, port and path only: query strings often carry signatures.
    static func redacted(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        c?.fragment = nil
        c?.user = nil
        c?.password = nil
        return c?.string ?? "the URL"
    }
}
