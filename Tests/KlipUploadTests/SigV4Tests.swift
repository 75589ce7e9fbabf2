import Foundation
import Testing
import Crypto
@testable import KlipUpload

/// AWS's published examples for S3 (the "Examples" of the SigV4 header and query-string
/// authentication pages): same keys, date, bucket and requests; the signatures must match.
@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
    let signer = SigV4(credentials: credentials, region: "us-east-1")

    func signature(_ headers: [String: String]) -> String {
        String(headers["authorization"]!.split(separator: "=").last!)
    }

    @Test func getObjectWithARange() {
        let headers = signer.signedHeaders(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!,
                                           headers: ["Range": "bytes=0-9"], payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        #expect(headers["authorization"]!.contains("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"))
        #expect(headers["authorization"]!.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"))
        #expect(signature(headers) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers["x-amz-date"] == "20130524T000000Z")
    }

    @Test func putObjectWithAnEncodedKey() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let hash = SigV4.hex(Crypto.SHA256.hash(data: body))
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let headers = signer.signedHeaders(method: "PUT", url: URL(string: "https://examplebucket.s3.amazonaws.com/test$file.text")!,
                                           headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
                                           payloadHash: hash, date: Self.date)
        #expect(signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycleAndListObjects() {
        let lifecycle = signer.signedHeaders(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/?lifecycle")!,
                                             payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        #expect(signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        let list = signer.signedHeaders(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J")!,
                                        payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        #expect(signature(list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGetURL() throws {
        let url = signer.presignedURL(url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!, expires: 86400, date: Self.date)
        let query = try #require(url.query)
        #expect(query.contains("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"))
        #expect(query.contains("X-Amz-Expires=86400"))
        #expect(query.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
        #expect(url.host == "examplebucket.s3.amazonaws.com" && url.path == "/test.txt")
    }

    @Test func aSessionTokenIsSignedAndSent() throws {
        var withToken = signer
        withToken.credentials.sessionToken = "token/with+chars="
        let headers = withToken.signedHeaders(method: "HEAD", url: URL(string: "http://127.0.0.1:9000/b/k.mp4")!,
                                              payloadHash: SigV4.emptyPayloadHash, date: Self.date)
        #expect(headers["x-amz-security-token"] == "token/with+chars=")
        #expect(headers["authorization"]!.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        let url = withToken.presignedURL(url: URL(string: "http://127.0.0.1:9000/b/k.mp4")!, expires: 60, date: Self.date)
        #expect(try #require(url.query).contains("X-Amz-Security-Token=token%2Fwith%2Bchars%3D"))
    }

    @Test func destinationsKeysAndAddressing() throws {
        let (bucket, prefix) = try S3Settings.parseDestination("s3://media-bucket/klip/in/", field: "KLIP_UPLOAD")
        #expect(bucket == "media-bucket" && prefix == "klip/in")
        #expect(throws: UploadError.self) { try S3Settings.parseDestination("https://x/y", field: "KLIP_UPLOAD") }
        #expect(throws: UploadError.self) { try S3Settings.parseDestination("s3://Bad_Bucket/p", field: "--upload") }
        var settings = S3Settings(bucket: bucket, prefix: prefix, credentials: Self.credentials, region: "eu-west-1")
        let key = settings.key(sha256: "ab12", pathExtension: "MP4")
        #expect(key == "klip/in/ab12.mp4")
        #expect(settings.objectURL(key: key).absoluteString == "https://media-bucket.s3.eu-west-1.amazonaws.com/klip/in/ab12.mp4")
        settings.endpoint = URL(string: "http://127.0.0.1:5000/")
        #expect(settings.objectURL(key: key).absoluteString == "http://127.0.0.1:5000/media-bucket/klip/in/ab12.mp4")
    }

    @Test func settingsNameTheVariableAtFaultAndNeverShowTheSecret() {
        let env = AWSEnvironment(upload: "s3://bucket-one/p", accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret-value",
                                 expires: "forever")
        do {
            _ = try S3Settings.resolve(destination: nil, environment: env)
            Issue.record("a bad KLIP_UPLOAD_EXPIRES was accepted")
        } catch {
            #expect(error.field == "KLIP_UPLOAD_EXPIRES")
            #expect(!error.description.contains("very-secret-value"))
        }
        let missing = AWSEnvironment(upload: "s3://bucket-one/p")
        #expect(throws: UploadError.configuration("AWS_ACCESS_KEY_ID", "KLIP_UPLOAD needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")) {
            try S3Settings.resolve(destination: nil, environment: missing)
        }
        #expect(!"\(env)".contains("very-secret-value"))
        #expect(!"\(AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret-value"))".contains("very-secret-value"))
    }
}
