import Foundation

/// What was uploaded, and for how long its URL works.
public struct UploadedObject: Sendable, Equatable {
    public var url: String
    /// Seconds since the epoch after which `url` stops working.
    public var expiresAt: Int64
    public var key: String
    public var digest: FileDigest
    /// False when the store already had the content (no PUT).
    public var transferred: Bool
}

/// Where uploads are remembered across runs (the journal). The store is the truth; a record
/// only saves a HEAD and keeps a still-valid URL stable, so a rerun's requests match.
public protocol UploadRecords: Sendable {
    func upload(sha256: String, location: String) async throws -> (url: String, expiresAt: Int64)?
    func recordUpload(sha256: String, location: String, url: String, expiresAt: Int64) async throws
}

/// Content-addressed uploads to S3: `PREFIX/<sha256>.<ext>`, a HEAD before a PUT, a
/// presigned GET URL back. Concurrent uploads of the same content share one transfer.
public actor ContentUploader {
    public let client: S3Client
    private let records: (any UploadRecords)?
    private var running: [String: Task<UploadedObject, any Error>] = [:]
    /// A recorded URL is reused only while it has at least this long left.
    static let minimumRemaining: Int64 = 3600

    public init(settings: S3Settings, records: (any UploadRecords)? = nil) {
        self.client = S3Client(settings: settings)
        self.records = records
    }

    /// `s3://bucket/prefix`: recorded uploads are per destination.
    public nonisolated var location: String {
        "s3://\(client.settings.bucket)/\(client.settings.prefix)"
    }

    public func upload(path: String, digest known: FileDigest? = nil) async throws(UploadError) -> UploadedObject {
        let digest = if let known { known } else { try await FileDigest.of(path) }
        let key = client.settings.key(sha256: digest.sha256, pathExtension: (path as NSString).pathExtension)
        if let task = running[key] { return try await Self.value(of: task) }
        let task = Task { try await self.transfer(path: path, key: key, digest: digest) }
        running[key] = task
        defer { running[key] = nil }
        return try await Self.value(of: task)
    }

    private func transfer(path: String, key: String, digest: FileDigest) async throws(UploadError) -> UploadedObject {
        let now = Int64(Date().timeIntervalSince1970)
        if let records, let recorded = try? await records.upload(sha256: digest.sha256, location: location) {
            if recorded.expiresAt - now >= Self.minimumRemaining {
                return UploadedObject(url: recorded.url, expiresAt: recorded.expiresAt, key: key, digest: digest, transferred: false)
            }
            // Uploaded before: the object is there, only the URL needs signing anew.
            return try await presign(key: key, digest: digest, transferred: false)
        }
        let present = try await client.exists(key: key)
        if !present {
            try await client.put(key: key, path: path, digest: digest, contentType: Self.contentType(path))
        }
        return try await presign(key: key, digest: digest, transferred: !present)
    }

    private func presign(key: String, digest: FileDigest, transferred: Bool) async throws(UploadError) -> UploadedObject {
        let date = Date()
        let url = client.presignedGET(key: key, date: date).absoluteString
        let expiresAt = Int64(date.timeIntervalSince1970) + Int64(client.settings.expires)
        try? await records?.recordUpload(sha256: digest.sha256, location: location, url: url, expiresAt: expiresAt)
        return UploadedObject(url: url, expiresAt: expiresAt, key: key, digest: digest, transferred: transferred)
    }

    static func value(of task: Task<UploadedObject, any Error>) async throws(UploadError) -> UploadedObject {
        do { return try await task.value } catch let error as UploadError { throw error } catch {
            throw UploadError(kind: .network, message: "\(error)")
        }
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "mov": "video/quicktime"
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        case "wav": "audio/wav"
        case "mp3": "audio/mpeg"
        case "m4a", "aac": "audio/aac"
        case "flac": "audio/flac"
        case "ogg", "oga": "audio/ogg"
        default: "application/octet-stream"
        }
    }
}
