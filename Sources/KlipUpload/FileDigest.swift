import Crypto
import Foundation
import _NIOFileSystem

/// A local file's size and SHA-256, read in chunks on NIO's file I/O threads (never a
/// whole-file buffer, never a blocking read on the cooperative pool).
public struct FileDigest: Sendable, Equatable {
    public var size: Int64
    public var sha256: String

    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    public static func of(_ path: String) async throws(UploadError) -> FileDigest {
        do {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                var hasher = SHA256()
                var size: Int64 = 0
                for try await chunk in handle.readChunks(chunkLength: .mebibytes(1)) {
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    size += Int64(chunk.readableBytes)
                }
                return FileDigest(size: size, sha256: SigV4.hex(hasher.finalize()))
            }
        } catch let error as FileSystemError {
            throw UploadError(kind: .file, message: Self.reason(error), field: path)
        } catch {
            throw UploadError(kind: .file, message: "\(error)", field: path)
        }
    }

    static func reason(_ error: FileSystemError) -> String {
        switch error.code {
        case .notFound: "no such file"
        case .permissionDenied: "permission denied"
        case .unsupported, .invalidArgument: "not a regular file"
        default: error.message
        }
    }
}
