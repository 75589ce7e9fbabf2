import Foundation
import KlingAPI

/// A local sound file is probed, converted and encoded once per run, however many clips use it.
actor SoundCache {
    private struct Key: Hashable { var path: String; var size: Int64; var modified: Date }
    private var entries: [Key: SingleFlight<PreparedSound>] = [:]

    func prepare(_ path: String) async throws -> PreparedSound {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.int64Value,
              let modified = attributes?[.modificationDate] as? Date else {
            return try await PreparedSound.prepare(path)
        }
        let key = Key(path: PathPolicy.resolve(path), size: size, modified: modified)
        let flight = entries[key] ?? SingleFlight()
        entries[key] = flight
        return try await flight.value { try await PreparedSound.prepare(path) }
    }
}
