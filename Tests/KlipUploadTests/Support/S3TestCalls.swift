import AsyncHTTPClient
import Foundation
import KlipUpload
import NIOCore

/// Plain signed S3 calls a test makes to look at the store behind the uploader's back.
enum S3TestCalls {
    static func send(method: String, url: URL, credentials: AWSCredentials) async throws -> UInt {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        let signer = SigV4(credentials: credentials, region: "us-east-1")
        for (name, value) in signer.signedHeaders(method: method, url: url, payloadHash: SigV4.emptyPayloadHash, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(60)).status.code
    }

    static func get(_ url: String) async throws -> (status: UInt, body: Data) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 200 << 20)
        return (response.status.code, Data(body.readableBytesView))
    }
}
