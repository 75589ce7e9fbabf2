import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import _NIOFileSystem

/// The three S3 calls uploads need: HEAD, a streamed PUT, and a presigned GET URL.
public struct S3Client: Sendable {
    public let settings: S3Settings
    let http: HTTPClient
    let signer: SigV4

    public init(settings: S3Settings, http: HTTPClient = .shared) {
        self.settings = settings
        self.http = http
        self.signer = SigV4(credentials: settings.credentials, region: settings.region)
    }

    /// Whether the object exists (403 and 404 both mean "not readable as is": PUT it).
    public func exists(key: String) async throws(UploadError) -> Bool {
        let url = settings.objectURL(key: key)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .HEAD
        sign(&request, url: url, payloadHash: SigV4.emptyPayloadHash)
        let response = try await execute(request, url: url, timeout: .seconds(60))
        switch response.status.code {
        case 200..<300: return true
        case 404: return false
        default: throw Self.failure(response.status, body: "", key: key)
        }
    }

    /// PUTs the file, streamed from disk, signed with its SHA-256 (S3 checks it on arrival).
    public func put(key: String, path: String, digest: FileDigest, contentType: String) async throws(UploadError) {
        let url = settings.objectURL(key: key)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .PUT
        request.headers.add(name: "content-type", value: contentType)
        request.headers.add(name: "content-length", value: String(digest.size))
        sign(&request, url: url, payloadHash: digest.sha256, extra: ["content-type": contentType])
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                request.body = .stream(handle.readChunks(chunkLength: .mebibytes(1)), length: .known(digest.size))
                let response = try await execute(request, url: url, timeout: .seconds(1800))
                guard (200..<300).contains(response.status.code) else {
                    let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
                    throw Self.failure(response.status, body: body, key: key)
                }
            }
        } catch let error as UploadError {
            throw error
        } catch let error as FileSystemError {
            throw UploadError(kind: .file, message: FileDigest.reason(error), field: path)
        } catch {
            throw UploadError(kind: .network, message: "PUT \(Self.shown(url)): \(error)")
        }
    }

    /// A GET URL valid for `settings.expires` seconds from `date`.
    public func presignedGET(key: String, date: Date = Date()) -> URL {
        signer.presignedURL(url: settings.objectURL(key: key), expires: settings.expires, date: date)
    }

    private func sign(_ request: inout HTTPClientRequest, url: URL, payloadHash: String, extra: [String: String] = [:]) {
        let host = SigV4.hostHeader(url)
        var headers = extra
        headers["host"] = host
        request.headers.replaceOrAdd(name: "host", value: host)
        for (name, value) in signer.signedHeaders(method: request.method.rawValue, url: url, headers: headers,
                                                  payloadHash: payloadHash, date: Date()) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
    }

    private func execute(_ request: HTTPClientRequest, url: URL, timeout: TimeAmount) async throws(UploadError) -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw UploadError(kind: .network, message: "\(request.method.rawValue) \(Self.shown(url)): \(error)")
        }
    }

    /// A URL for messages: never its query (a presigned URL's query is a credential).
    static func shown(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        return c?.string ?? url.path
    }

    static func failure(_ status: HTTPResponseStatus, body: String, key: String) -> UploadError {
        let code = body.range(of: "<Code>").flatMap { start in
            body.range(of: "</Code>", range: start.upperBound..<body.endIndex).map { String(body[start.upperBound..<$0.lowerBound]) }
        }
        return UploadError(kind: .storage, message: "\(key): \(code ?? status.reasonPhrase)", httpStatus: Int(status.code))
    }
}
