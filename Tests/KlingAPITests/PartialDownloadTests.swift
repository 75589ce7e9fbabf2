import Foundation
@testable import KlingAPI
import Testing

@Suite struct PartialDownloadTests {
    @Test func aPartFileLeftByAKilledRunIsRemovedAndALiveOneIsKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("klip-part-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("out.mp4")
        // Above Linux's largest pid_max (2^22): no process has it.
        let dead = PartialDownload.path(for: destination, pid: 4_194_305)
        let legacy = folder.appendingPathComponent(".out.mp4.part-1a2b3c4d")
        let mine = PartialDownload.path(for: destination)
        let other = folder.appendingPathComponent(".other.mp4.part-4194305-abcdef12")
        for file in [dead, legacy, mine, other] { try Data("partial".utf8).write(to: file) }

        #expect(PartialDownload.removeStale(for: destination) == 2)
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(!FileManager.default.fileExists(atPath: legacy.path))
        #expect(FileManager.default.fileExists(atPath: mine.path), "a running download's part file was removed")
        #expect(FileManager.default.fileExists(atPath: other.path), "another destination's part file was removed")
    }
}
