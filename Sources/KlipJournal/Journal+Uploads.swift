import Foundation
import GRDB
import KlipUpload

/// Uploads by content and destination: a rerun sends the same presigned URL while it is
/// still valid (so its identify matches the journal's), and signs a new one, without
/// uploading again, once it is not. Its own table, made on first use.
extension Journal: UploadRecords {
    public func upload(sha256: String, location: String) async throws -> (url: String, expiresAt: Int64)? {
        try await commits.write { db in
            try Self.createUploadTable(db)
            let row = try Row.fetchOne(db, sql: "SELECT url, expiresAt FROM upload WHERE location = ? AND sha256 = ?",
                                       arguments: [location, sha256])
            return row.map { (url: $0["url"], expiresAt: $0["expiresAt"]) }
        }
    }

    public func recordUpload(sha256: String, location: String, url: String, expiresAt: Int64) async throws {
        try await commits.write { db in
            try Self.createUploadTable(db)
            try db.execute(sql: """
                INSERT INTO upload (location, sha256, url, expiresAt, recordedAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(location, sha256) DO UPDATE SET url = excluded.url, expiresAt = excluded.expiresAt,
                recordedAt = excluded.recordedAt
                """, arguments: [location, sha256, url, expiresAt, Int64(Date().timeIntervalSince1970)])
        }
    }

    static func createUploadTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS upload (
              location TEXT NOT NULL, sha256 TEXT NOT NULL, url TEXT NOT NULL,
              expiresAt INTEGER NOT NULL, recordedAt INTEGER NOT NULL,
              PRIMARY KEY (location, sha256))
            """)
    }
}
