import Foundation
import KlipEngine
import KlipMedia

/// A dlib detector is not thread-safe and costs ~1 s and ~100 MB to load: keep up to
/// `size` identifiers, created on first need, each used by one request at a time. A request
/// waiting for one leaves the queue when it is cancelled (a stopping server).
actor FaceIdentifierPool {
    private let turns: ConcurrencyLimiter
    private var idle: [FaceIdentifier] = []
    /// Videos tracked so far (for tests and logs: a cached identify does not add one).
    private(set) var tracked = 0

    init(size: Int) { turns = ConcurrencyLimiter(limit: max(1, size)) }

    func identify(videoPath: String, cropsDirectory: URL) async throws -> [FaceTrack] {
        // The limiter bounds the identifiers in use, so no more than `size` are ever made.
        try await turns.run {
            let identifier = await self.checkOut()
            do {
                let tracks = try await identifier.identify(videoPath: videoPath, cropsDirectory: cropsDirectory)
                await self.checkIn(identifier)
                return tracks
            } catch {
                await self.checkIn(identifier)
                throw error
            }
        }
    }

    private func checkOut() -> FaceIdentifier {
        tracked += 1
        return idle.popLast() ?? FaceIdentifier()
    }

    private func checkIn(_ identifier: FaceIdentifier) { idle.append(identifier) }
}
