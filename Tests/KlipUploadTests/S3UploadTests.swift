import Crypto
import Foundation
import KlipTestSupport
import KlipUpload
import Synchronization
import Testing

/// Upload round trips against a real moto_server on loopback.
@Suite(.serialized) struct S3UploadTests {
    static let media = ChildProcess.root.appendingPathComponent("media/one-face.mp4").path

    /// A record store in memory, standing in for the journal's table only in this suite
    /// (the journal's own table is tested with the journal).
    final class Records: UploadRecords, Sendable {
        let rows = Mutex<[String: (String, Int64)]>([:])
        func upload(sha256: String, location: String) async throws -> (url: String, expiresAt: Int64)? {
            rows.withLock { $0[location + sha256] }.map { (url: $0.0, expiresAt: $0.1) }
        }
        func recordUpload(sha256: String, location: String, url: String, expiresAt: Int64) async throws {
            rows.withLock { $0[location + sha256] = (url, expiresAt) }
        }
    }

    func withMoto(_ body: (MotoServer, String) async throws -> Void) async throws {
        let moto = try await MotoServer.start()
        let bucket = "klip-\(UUID().uuidString.prefix(8).lowercased())"
        do {
            try await moto.createBucket(bucket)
            try await body(moto, bucket)
        } catch {
            await moto.stop()
            throw error
        }
        await moto.stop()
    }

    @Test func uploadsOnceByContentAndThePresignedURLServesTheSameBytes() async throws {
        try await withMoto { moto, bucket in
            let settings = moto.settings(bucket: bucket, prefix: "in/clips", expires: 600)
            let original = try Data(contentsOf: URL(fileURLWithPath: Self.media))
            let sha = SHA256.hash(data: original).map { String(format: "%02x", $0) }.joined()

            let first = try await ContentUploader(settings: settings).upload(path: Self.media)
            #expect(first.transferred)
            #expect(first.key == "in/clips/\(sha).mp4")
            #expect(first.digest == FileDigest(size: Int64(original.count), sha256: sha))
            #expect(first.url.hasPrefix("\(moto.endpoint.absoluteString)/\(bucket)/in/clips/\(sha).mp4?"))
            #expect(first.url.contains("X-Amz-Expires=600"))
            let now = Int64(Date().timeIntervalSince1970)
            #expect(abs(first.expiresAt - (now + 600)) < 120)

            let fetched = try await S3TestCalls.get(first.url)
            #expect(fetched.status == 200)
            #expect(fetched.body == original)

            // The same content under another name: found by HEAD, not sent again.
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("klip-copy-\(UUID().uuidString).MP4")
            try original.write(to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            let second = try await ContentUploader(settings: settings).upload(path: copy.path)
            #expect(!second.transferred)
            #expect(second.key == first.key)
        }
    }

    @Test func aRecordedUploadIsReusedWithoutAskingTheStore() async throws {
        try await withMoto { moto, bucket in
            let records = Records()
            let first = try await ContentUploader(settings: moto.settings(bucket: bucket), records: records).upload(path: Self.media)
            #expect(first.transferred)
            // A new run with the same records: the same URL back (its requests match the
            // first run's), even with the store gone.
            await moto.stop()
            let again = try await ContentUploader(settings: moto.settings(bucket: bucket), records: records).upload(path: Self.media)
            #expect(!again.transferred)
            #expect(again.url == first.url)
        }
    }

    @Test func aRecordCloseToExpiryIsPresignedAgainWithoutAnUpload() async throws {
        try await withMoto { moto, bucket in
            let records = Records()
            let first = try await ContentUploader(settings: moto.settings(bucket: bucket, expires: 60), records: records).upload(path: Self.media)
            #expect(first.transferred)
            let again = try await ContentUploader(settings: moto.settings(bucket: bucket, expires: 7200), records: records).upload(path: Self.media)
            #expect(!again.transferred)
            #expect(again.url != first.url)
            #expect(again.url.contains("X-Amz-Expires=7200"))
            #expect(try await S3TestCalls.get(again.url).status == 200)
        }
    }

    @Test func concurrentUploadsOfOneFileShareOneTransfer() async throws {
        try await withMoto { moto, bucket in
            let uploader = ContentUploader(settings: moto.settings(bucket: bucket))
            let results = try await withThrowingTaskGroup(of: UploadedObject.self) { group in
                for _ in 0..<4 { group.addTask { try await uploader.upload(path: Self.media) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 4)
            #expect(Set(results.map(\.key)).count == 1)
            #expect(results.filter(\.transferred).count >= 1)
        }
    }

    @Test func badCredentialsAndMissingFilesAreClearErrorsWithoutTheSecret() async throws {
        try await withMoto { moto, bucket in
            var settings = moto.settings(bucket: bucket)
            let missing = "/nonexistent/dir/clip.mp4"
            do {
                _ = try await ContentUploader(settings: settings).upload(path: missing)
                Issue.record("a missing file uploaded")
            } catch let error as UploadError {
                #expect(error.kind == .file)
                #expect(error.field == missing)
                #expect(error.description.contains("no such file"))
            }
            settings.bucket = "no-such-bucket-here"
            do {
                _ = try await ContentUploader(settings: settings).upload(path: Self.media)
                Issue.record("an upload to a missing bucket succeeded")
            } catch let error as UploadError {
                #expect(error.kind == .storage)
                #expect(error.description.contains("NoSuchBucket") || error.httpStatus == 404)
                #expect(!error.description.contains(MotoServer.credentials.secretAccessKey))
            }
        }
    }
}
