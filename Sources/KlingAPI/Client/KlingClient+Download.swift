import AsyncHTTPClient
import Foundation
import NIOCore

extension KlingClient {
    /// Streams `url` to `path` (written to a temporary file beside it, then moved, so a
    /// failed download never leaves a truncated video behind, and one a killed run left is
    /// removed by the next download of the same file). Returns the bytes written.
    /// No credentials are sent: result URLs are public, and a key must not leak to a CDN.
    @discardableResult
    public func download(_ url: String, to path: String) async throws(KlingError) -> Int64 {
        let destination = URL(fileURLWithPath: path).standardizedFileURL
        let partial = PartialDownload.path(for: destination)
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .validation("path", "\(path): cannot create its folder: \(error.localizedDescription)")
        }
        PartialDownload.removeStale(for: destination)
        guard FileManager.default.createFile(atPath: partial.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: partial) else {
            throw .validation("path", "\(path): cannot write here")
        }
        let written: Int64
        do {
            defer { try? handle.close() }
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "klip/0.1")
            written = try await transport.limiter.run { [http, request] in
                let response = try await http.execute(request, timeout: .hours(1))
                guard response.status.code == 200 else {
                    throw KlingError(kind: .network, message: "download of \(url) answered HTTP \(response.status.code)",
                                     httpStatus: Int(response.status.code))
                }
                var count: Int64 = 0
                for try await chunk in response.body {
                    try handle.write(contentsOf: Data(chunk.readableBytesView))
                    count += Int64(chunk.readableBytes)
                }
                return count
            }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            if let error = error as? KlingError { throw error }
            if Task.isCancelled { throw KlingError(kind: .cancelled, message: "download of \(url) cancelled") }
            throw KlingError(kind: .network, message: "download of \(url): \(Transport.describe(error))")
        }
        do {
            _ = try? FileManager.default.removeItem(at: destination)
            try FileManager.default.moveItem(at: partial, to: destination)
        } catch {
            throw .validation("path", "\(path): cannot be written: \(error.localizedDescription)")
        }
        return written
    }
}
