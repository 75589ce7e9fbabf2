import Crypto
import Foundation
import KlingAPI
@testable import KlipJournal
import Testing

/// A journal written by an earlier klip must still recognise its requests: the fingerprint
/// of a request is pinned, as text and as the digest of that text.
@Suite struct FingerprintTests {
    @Test func aRequestsFingerprintIsTheOneEarlierJournalsHold() {
        let sound = String(repeating: "UklGRiQAAABXQVZF", count: 300)
        let request = LipSyncRequest(sessionID: "s", faceChoose: [FaceChoose(
            faceID: "0", soundFile: sound, soundStartTime: 0, soundEndTime: 2500, soundInsertTime: 7, soundVolume: 1.5)])
        let audio = Hex.lowercase(SHA256.hash(data: Data(sound.utf8)))
        let text = "video=sha256:abc\nface=0\naudio=sha256:\(audio)\nstart=0\nend=2500\ninsert=7\nvolume=1.5\noriginal=1.0"
        let expected = Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
        #expect(Fingerprint.lipSync(request, videoKey: "sha256:abc") == expected)
        var later = request
        later.faceChoose[0].soundInsertTime = 8
        #expect(Fingerprint.lipSync(later, videoKey: "sha256:abc") != expected)
    }
}
