import Foundation
import KlingAPI
@testable import KlipServer
import Testing

/// `sound_file` is read once per create (`SoundField`): the preflight rules see a stand-in for
/// decoded Base64, and must answer exactly as they did for the text itself.
@Suite("sound_file read once")
struct SoundFieldTests {
    static let wavBase64 = Data("RIFF....WAVEfmt ".utf8).base64EncodedString()
    /// Valid Base64 that starts with "/" (a JPEG's first bytes): Base64, not a path.
    static let slashBase64 = Data([0xFF, 0xD8, 0xFF, 0xE0]).base64EncodedString()

    @Test func eachKindIsClassifiedOnce() throws {
        #expect(Self.slashBase64.hasPrefix("/"))
        func kind(_ sound: String?) -> String {
            switch SoundField(sound).content {
            case let .reference(text): "reference \(text)"
            case let .base64(bytes): "base64 \(bytes.count)"
            case .invalid: "invalid"
            }
        }
        #expect(kind(Self.wavBase64) == "base64 16")
        #expect(kind(Self.slashBase64) == "base64 4")
        #expect(kind("  http://127.0.0.1:9/a.wav\n") == "reference http://127.0.0.1:9/a.wav")
        #expect(kind("HTTPS://example.com/a.mp3") == "reference HTTPS://example.com/a.mp3")
        #expect(kind(" FILE:///media/a.wav ") == "reference FILE:///media/a.wav")
        #expect(kind("/media/a.wav") == "reference /media/a.wav")
        #expect(kind(" " + Self.wavBase64) == "invalid")
        #expect(kind(Self.wavBase64 + "\n") == "invalid")
        #expect(kind("data:audio/wav;base64," + Self.wavBase64) == "invalid")
        #expect(kind("!!!not base64!!!") == "invalid")
        #expect(kind("") == "invalid")
        #expect(kind(nil) == "invalid")

        #expect(SoundField(Self.wavBase64).preflightText == SoundField.validBase64StandIn)
        #expect(SoundField("/media/a b.wav").preflightText == "file:///media/a%20b.wav")
        #expect(SoundField(" file:///media/a.wav").preflightText == "file:///media/a.wav")
        #expect(SoundField(" http://x/a.wav").preflightText == " http://x/a.wav")
    }

    /// The stand-in changes nothing the preflight rules say: for every sound that is not a
    /// local file reference (those were always rewritten), the text and its preflight text
    /// get the same answer, with and without other faults in the request.
    @Test func preflightAnswersTheSameForTheStandIn() throws {
        let sounds: [String?] = [
            Self.wavBase64, Self.slashBase64, " " + Self.wavBase64, Self.wavBase64 + "\r\n", "data:audio/wav;base64,AAAA",
            "!!!not base64!!!", "AAA", "", nil, "http://127.0.0.1:9/a.wav", " http://127.0.0.1:9/a.wav",
            String(repeating: "QUJD", count: 50_000),
        ]
        func answer(_ sound: String?, audioID: String?, start: Int) -> String {
            let choice = FaceChoose(faceID: "0", audioID: audioID, soundFile: sound,
                                    soundStartTime: start, soundEndTime: start + 2500, soundInsertTime: 0)
            do { try Preflight.check(LipSyncRequest(sessionID: "1", faceChoose: [choice])) } catch {
                return error.description
            }
            return "accepted"
        }
        var accepted = 0
        for sound in sounds {
            let field = SoundField(sound)
            for (audioID, start) in [(nil, 0), ("a1", 0), (nil, -5)] as [(String?, Int)] {
                let original = answer(sound, audioID: audioID, start: start)
                #expect(answer(field.preflightText, audioID: audioID, start: start) == original,
                        "\(String(describing: sound?.prefix(40))) audio_id \(audioID ?? "nil") start \(start)")
                if original == "accepted" { accepted += 1 }
            }
        }
        // Three Base64 texts and an http URL alone, and audio_id alone (no sound, or an empty one).
        #expect(accepted == 6)
    }

    @Test func aServerAnswersEachSoundAsBefore() async throws {
        let root = try await mediaRoot()
        let sound = try await base64Sound()
        try await withEmulator({ $0.mediaRoots = [root.path]; $0.maxParallel = 8 }) { server in
            let (session, faces) = try await server.identify(root.appendingPathComponent("one-face.mp4").path)
            let faceID = try #require(faces.first?["face_id"] as? String)
            func create(_ text: String) async throws -> Answer {
                try await server.create(TestEmulator.createBody(session: session, sound: text, faceID: faceID))
            }
            for text in [sound, "  file://\(root.path)/speech.wav\n", "\(root.path)/speech.wav"] {
                let answer = try await create(text)
                #expect(answer.code == 0, "\(text.prefix(40)): \(answer.message)")
            }
            for text in [" " + sound, sound + "\n", "data:audio/wav;base64," + sound] {
                let answer = try await create(text)
                #expect(answer.status == 400 && answer.code == 1201, "\(answer.message)")
                #expect(answer.message.contains("face_choose[0].sound_file"), "\(answer.message)")
            }
        }
    }
}
