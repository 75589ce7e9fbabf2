import Foundation
import KlipEngine

/// A dlib detector is not thread-safe and costs ~1 s and ~100 MB to load: keep up to
/// `size` identifiers, created on first need, each used by one request at a time.
actor FaceIdentifierPool {
    private let size: Int
    private var idle: [FaceIdentifier] = []
    private var created = 0
    private var waiters: [CheckedContinuation<FaceIdentifier, Never>] = []

    init(size: Int) { self.size = max(1, size) }

    func identify(videoPath: String, cropsDirectory: URL) async throws -> [FaceTrack] {
        let identifier = await checkOut()
        defer { checkIn(identifier) }
        return try await identifier.identify(videoPath: videoPath, cropsDirectory: cropsDirectory)
    }

    private func checkOut() async -> FaceIdentifier {
        if let ready = idle.popLast() { return ready }
        if created < size {
            created += 1
            return FaceIdentifier()
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func checkIn(_ identifier: FaceIdentifier) {
        if waiters.isEmpty { idle.append(identifier) } else { waiters.removeFirst().resume(returning: identifier) }
    }
}
