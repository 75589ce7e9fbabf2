import Foundation
import KlingAPI
import KlipMedia
import Testing

func tempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("klip-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func makeTone(_ path: String, seconds: Double, extra: [String] = []) async throws {
    try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi",
                                             "-i", "sine=frequency=440:duration=\(seconds)"] + extra + [path])
}

let offline = KlingClient(configuration: KlingConfiguration(baseURL: URL(string: "http://127.0.0.1:9")!, credentials: .none, isLocal: true))

@Suite struct SoundTests {
    @Test func aWavIsSentAsItIs() async throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("voice.wav").path
        try await makeTone(path, seconds: 3)
        let prepared = try await offline.prepareSound(path)
        #expect(prepared.note == nil)
        #expect(prepared.facts?.format == "wav")
        #expect(abs((prepared.facts?.durationMs ?? 0) - 3000) <= 5)
        #expect(Data(base64Encoded: prepared.soundFile) == FileManager.default.contents(atPath: path))
        #expect(!prepared.soundFile.hasPrefix("data:"))
    }

    @Test func audioInAnMp4IsConvertedAndSaysSo() async throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("voice.mp4").path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=duration=3",
                                                 "-f", "lavfi", "-i", "color=size=64x64:duration=3", "-shortest", "-c:a", "aac", path])
        let prepared = try await offline.prepareSound(path)
        #expect(prepared.facts?.format == "mp3")
        #expect(prepared.note?.contains("converted voice.mp4 to mp3") == true)
        let decoded = try #require(Data(base64Encoded: prepared.soundFile))
        let out = dir.appendingPathComponent("sent.mp3").path
        #expect(FileManager.default.createFile(atPath: out, contents: decoded))
        let info = try await MediaProbe.probe(out)
        #expect(info.formatName == "mp3")
        #expect(info.video == nil)
    }

    @Test func audioOver5MBIsConverted() async throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("long.wav").path
        try await makeTone(path, seconds: 40, extra: ["-ac", "2", "-ar", "48000"])  // ~7.7 MB
        let prepared = try await offline.prepareSound(path)
        #expect((prepared.facts?.bytes ?? .max) <= 5 * 1024 * 1024)
        #expect(prepared.note?.contains("over the 5 MB limit") == true)
    }

    @Test func tooShortAudioAndMissingFilesNameTheFieldAndTheFile() async throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("short.wav").path
        try await makeTone(path, seconds: 1)
        await #expect { try await offline.prepareSound(path) } throws: {
            let e = $0 as? KlingError
            return e?.field == "face_choose[0].sound_file" && e?.message.contains("short.wav") == true && e?.message.contains("2 to 60 s") == true
        }
        await #expect { try await offline.prepareSound("/nonexistent/voice.wav") } throws: {
            ($0 as? KlingError)?.message.contains("/nonexistent/voice.wav") == true
        }
    }

    @Test func urlsPassThrough() async throws {
        let prepared = try await offline.prepareSound("https://example.com/voice.mp3")
        #expect(prepared.soundFile == "https://example.com/voice.mp3")
        #expect(prepared.facts == nil)
    }

    @Test func localVideoOnTheCloudIsAClearError() async throws {
        let cloud = KlingClient(configuration: KlingConfiguration(baseURL: URL(string: "http://127.0.0.1:9")!, credentials: .apiKey("k")))
        await #expect { try await cloud.identifyFace(video: "/tmp/clip.mp4") } throws: {
            let e = $0 as? KlingError
            return e?.field == "video_url" && e?.message.contains("public http(s) URL") == true
        }
    }
}

@Suite struct DownloadTests {
    @Test func downloadStreamsTheBodyToAFile() async throws {
        let payload = String(repeating: "0123456789", count: 300_000)  // 3 MB
        let server = try await ScriptedServer { _, _ in ScriptedServer.Answer(status: .ok, body: payload) }
        let dir = try tempDir()
        let path = dir.appendingPathComponent("sub/out.mp4").path
        let bytes = try await client(for: server).download(server.baseURL.absoluteString + "/files/out.mp4", to: path)
        #expect(bytes == Int64(payload.utf8.count))
        #expect(FileManager.default.contents(atPath: path) == Data(payload.utf8))
        #expect(await server.received.first?.authorization == nil, "no key is sent to a download URL")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path)
        #expect(leftovers == ["out.mp4"])
        await server.stop()
    }

    @Test func aFailedDownloadLeavesNothingBehind() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.Answer(status: .notFound, body: "gone") }
        let dir = try tempDir()
        await #expect(throws: KlingError.self) {
            try await client(for: server).download(server.baseURL.absoluteString + "/x.mp4", to: dir.appendingPathComponent("out.mp4").path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        await server.stop()
    }
}
