import Foundation
@testable import KlipMedia
import Testing

/// The WAV header reader must say exactly what ffprobe says, or leave the file to ffprobe.
@Suite struct WAVHeaderTests {
    /// Sample formats, rates, channel counts and lengths that do not fall on whole ms, and
    /// a file with a LIST chunk (metadata) before its data.
    static let plain: [(name: String, args: [String])] = [
        ("s16-44k-mono", ["-ar", "44100", "-ac", "1", "-c:a", "pcm_s16le"]),
        ("s16-48k-stereo", ["-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le"]),
        ("u8-8k", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_u8"]),
        ("s24-22k", ["-ar", "22050", "-ac", "2", "-c:a", "pcm_s24le"]),
        ("s32-16k", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s32le"]),
        ("f32-44k", ["-ar", "44100", "-ac", "2", "-c:a", "pcm_f32le"]),
        ("f64-11k", ["-ar", "11025", "-ac", "1", "-c:a", "pcm_f64le"]),
        ("s16-6ch", ["-ar", "48000", "-ac", "6", "-c:a", "pcm_s16le"]),
        ("tagged", ["-ar", "44100", "-ac", "1", "-c:a", "pcm_s16le", "-metadata", "title=take 3", "-metadata", "artist=klip"]),
    ]

    @Test(arguments: plain) func aPlainWAVReadsAsFFprobeSeesIt(_ file: (name: String, args: [String])) async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(file.name).wav").path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi",
                                                 "-i", "sine=frequency=300:duration=2.34567"] + file.args + [path])
        let native = try #require(WAVHeader.info(path: path), "\(file.name) was left to ffprobe")
        #expect(native == (try await MediaProbe.probeUncached(path)))
    }

    /// Compressed audio in a WAV, MP3 named .wav, A-law and a data chunk
    /// longer than the file: ffprobe's to answer, and `MediaProbe.probe` still answers.
    @Test func otherFilesAreLeftToFFprobe() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func make(_ name: String, _ args: [String]) async throws -> String {
            let path = dir.appendingPathComponent(name).path
            try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y", "-f", "lavfi",
                                                     "-i", "sine=duration=2.5"] + args + [path])
            return path
        }
        let adpcm = try await make("adpcm.wav", ["-c:a", "adpcm_ms"])
        let mp3 = try await make("mp3.wav", ["-f", "mp3"])
        let alaw = try await make("alaw.wav", ["-c:a", "pcm_alaw"])
        let cut = try await make("cut.wav", ["-c:a", "pcm_s16le"])
        let whole = try Data(contentsOf: URL(fileURLWithPath: cut))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: cut))
        for path in [adpcm, mp3, alaw, cut] {
            #expect(WAVHeader.info(path: path) == nil, "\(path)")
            let info = try await MediaProbe.probe(path)
            #expect(info.audio != nil)
        }
        #expect((try await MediaProbe.probe(adpcm)).audio?.codec == "adpcm_ms")
    }
}
