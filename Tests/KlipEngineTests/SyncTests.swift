import Foundation
import KlipEngine
import Testing

/// Lip sync beyond the sample clips, on make-faces clips made at test time: a 200 px face
/// of the photo that syncs worst (Grace Hopper, closed mouth) beside another person, and a
/// 64 px face, the smallest identify must find.
@Suite("Lip sync on generated clips", .serialized)
struct SyncTests {
    static let corpus = Task<URL, any Error> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("klip-sync-\(UUID().uuidString)")
        _ = try await FaceCorpus.make(["two200-720p", "small-512"], into: directory)
        return directory
    }

    @Test func aLargeFaceFollowsTheSpeechAndTheOtherFaceIsUntouched() async throws {
        // two200-720p: astronaut (face 0) and Grace Hopper (face 1), both 200 px, 720p.
        let check = try await SyncCheck.run(clip: "two200-720p", directory: try await Self.corpus.value, chosen: 1,
                                            identifier: sharedIdentifier)
        print("sync: \(check)")
        #expect(check.r >= 0.9, "\(check)")
        #expect(check.frames >= 80, "\(check)")
        #expect(check.mouthInside, "\(check)")
        #expect(check.othersChanged == 0, "\(check)")
        #expect(check.othersR <= 0.2, "\(check)")
    }

    @Test func a64pxMouthStaysInsideTheFaceAndFollowsTheSpeech() async throws {
        // small-512: one 64 px face crossing a 512x512 frame.
        let plan = try await SyncCheck.plan(clip: "small-512", directory: try await Self.corpus.value, chosen: 0,
                                            identifier: sharedIdentifier, output: "/dev/null")
        let drawn = try await SyncCheck.stage(plan)
        let loud = drawn.series.filter { $0.level > 0.3 }.count
        print("sync: small-512 hopper@64: mouth drawn on \(drawn.frames) of \(drawn.series.count) inserted frames (\(loud) loud), "
              + "outside the box \(drawn.outsideShare * 100)%, height r \(drawn.r)")
        #expect(loud >= 40, "\(loud) loud frames")
        #expect(drawn.frames >= loud * 9 / 10, "mouth drawn on \(drawn.frames) frames, \(loud) loud ones")
        #expect(drawn.outsideShare <= 0.02, "up to \(drawn.outsideShare * 100)% of the mouth outside the face's box")
        #expect(drawn.r >= 0.8, "drawn mouth height against loudness: r = \(drawn.r)")
    }
}
