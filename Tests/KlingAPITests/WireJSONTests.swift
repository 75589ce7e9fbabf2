import Crypto
import Foundation
@testable import KlingAPI
import NIOCore
import Testing

/// The create body written by `WireJSON` means what `JSONEncoder` would have said, field for
/// field, whatever the strings hold; and the sound facts remembered per string are the facts.
@Suite struct WireJSONTests {
    static let sound: String = {
        var bytes = Array("RIFF".utf8)
        var state: UInt32 = 12345
        for _ in 0..<30_000 {
            state = state &* 1_103_515_245 &+ 12345
            bytes.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        return Data(bytes).base64EncodedString()
    }()

    static func request(sound: String?, audioID: String? = nil, external: String? = nil, callback: String? = nil,
                        volume: Double? = nil, original: Double? = nil, watermark: Bool? = nil) -> LipSyncRequest {
        LipSyncRequest(sessionID: "s-1", faceChoose: [FaceChoose(faceID: "0", audioID: audioID, soundFile: sound,
                                                                soundStartTime: 0, soundEndTime: 2500, soundInsertTime: 17,
                                                                soundVolume: volume, originalAudioVolume: original)],
                       externalTaskID: external, callbackURL: callback, watermarkInfo: watermark.map(WatermarkInfo.init))
    }

    static let cases: [LipSyncRequest] = [
        request(sound: sound),
        request(sound: "https://example.com/voice.mp3", external: "clip-07", callback: "https://example.com/hook?a=1&b=/x",
                volume: 1, original: 0.3, watermark: false),
        request(sound: nil, audioID: "a-9", external: "quote \" backslash \\ tab \t newline \n nul \u{0} bell \u{7}",
                volume: 1.25, original: 2),
        request(sound: "data:ünïcödé 🎤 \u{1F}", external: "", volume: 0, original: 1e-5, watermark: true),
    ]

    @Test(arguments: cases) func bodyMeansWhatJSONEncoderSays(_ request: LipSyncRequest) throws {
        let written = try request.wireJSON()
        let data = Data(written.readableBytesView)
        #expect(try JSONDecoder().decode(LipSyncRequest.self, from: data) == request)
        #expect(try jsonObject(data) == (try jsonObject(try JSONEncoder().encode(request))))
    }

    @Test func theSoundIsCopiedAsItIs() throws {
        let body = String(buffer: try Self.request(sound: Self.sound).wireJSON())
        #expect(body.contains("\"sound_file\":\"\(Self.sound)\""))
        #expect(body.hasPrefix(#"{"session_id":"s-1","face_choose":[{"face_id":"0","sound_file":""#))
    }

    @Test func aNonFiniteVolumeIsRefusedNamingTheField() {
        #expect { try Self.request(sound: Self.sound, volume: .nan).wireJSON() } throws: { error in
            (error as? KlingError)?.field == "face_choose[0].sound_volume"
        }
    }

    @Test func soundFactsAreTheFactsWhateverTheStorage() {
        let sound = Self.sound
        let copy = String(decoding: Array(sound.utf8), as: UTF8.self)
        let expected = Hex.lowercase(SHA256.hash(data: Data(sound.utf8)))
        for _ in 0..<2 {
            #expect(SoundFileMemo.isBase64(sound))
            #expect(SoundFileMemo.sha256Hex(sound) == expected)
            #expect(SoundFileMemo.sha256Hex(copy) == expected)
        }
        #expect(SoundFileMemo.sha256Hex(String(repeating: "A", count: 5000))
                == "260679791fa8da4dddc6aa3b243c514025e83d3a2f60800b9734b990be5d11a0")
        var changed = sound
        changed.append("*")
        #expect(!SoundFileMemo.isBase64(changed))
        #expect(SoundFileMemo.sha256Hex(changed) == Hex.lowercase(SHA256.hash(data: Data(changed.utf8))))
        // More strings than the memo holds: each still answers for itself.
        let many = (0..<(SoundFileMemo.capacity * 2)).map { String(repeating: "A", count: 4096 + 4 * $0) + "*" }
        for text in many + many {
            #expect(!SoundFileMemo.isBase64(text))
            #expect(SoundFileMemo.sha256Hex(text) == Hex.lowercase(SHA256.hash(data: Data(text.utf8))))
        }
        #expect(SoundFileMemo.isBase64(sound))
    }
}
