import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

/// The mouth animation on the sample clips, measured the way `klip measure` does: faces and
/// landmarks re-detected in the output, mouth opening correlated with the loudness envelope.
@Suite("Mouth animation", .serialized)
struct MouthTests {
    static let speech = Media.path("speech.wav")

    struct Clip: Sendable, CustomTestStringConvertible {
        var file: String
        var face: Int
        var insertMs: Int
        var testDescription: String { "\(file) face \(face) at \(insertMs) ms" }
    }

    static let clips = [
        Clip(file: "one-face.mp4", face: 0, insertMs: 1000),
        Clip(file: "two-faces.mp4", face: 1, insertMs: 2000),
        // Inside the face's interval (3000-7000 ms): speech.wav is 3.5 s.
        Clip(file: "partial-face.mp4", face: 0, insertMs: 3200),
        // Across the 0.52 s gap (5480-6000 ms) inside face 1's track: nothing is drawn there.
        Clip(file: "gap-face.mp4", face: 1, insertMs: 4200),
    ]

    @Test(arguments: clips)
    func animatesTheChosenFaceOnly(_ clip: Clip) async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = Media.path(clip.file)
        let tracks = try await sharedIdentifier.identify(videoPath: input, cropsDirectory: dir)
        let face = try #require(tracks.first { $0.index == clip.face })
        let audioMs = try await MediaProbe.probe(Self.speech).durationMs
        let out = dir.appendingPathComponent("out.mp4").path
        let facts = try await LipSyncRenderer(mode: .full).render(RenderRequest(
            videoPath: input, audioPath: Self.speech, soundStartMs: 0, soundEndMs: audioMs, insertMs: clip.insertMs,
            face: face, outputPath: out))
        // KLIP_KEEP_RENDERS=DIR keeps the renders for looking at.
        if let keep = ProcessInfo.processInfo.environment["KLIP_KEEP_RENDERS"] {
            let kept = URL(fileURLWithPath: keep).appendingPathComponent("mouth-\(clip.file)").path
            try? FileManager.default.removeItem(atPath: kept)
            try FileManager.default.copyItem(atPath: out, toPath: kept)
        }
        let inputFacts = try await VideoValidator.check(videoPath: input)
        #expect(near(facts.durationMs, inputFacts.durationMs, 40), "output \(facts.durationMs) ms, input \(inputFacts.durationMs) ms")

        let meter = SyncMeter(identifier: sharedIdentifier)
        let measured = try await meter.measure(videoPath: out, audioPath: Self.speech, insertMs: clip.insertMs, inputPath: input)
        #expect(measured.count == tracks.count)
        for m in measured {
            if m.faceID == String(clip.face) {
                #expect(m.r >= 0.9, "chosen face \(m.faceID): r = \(m.r) over \(m.frames) frames")
            } else {
                #expect(abs(m.r) <= 0.2, "other face \(m.faceID): r = \(m.r)")
            }
            let psnr = try #require(m.psnrOutside)
            #expect(psnr >= 40, "PSNR outside the inserted range \(psnr) dB")
        }
        // The unprocessed input does not follow the audio.
        let baseline = try await meter.measure(videoPath: input, audioPath: Self.speech, insertMs: clip.insertMs)
        for m in baseline {
            #expect(abs(m.r) <= 0.2, "input face \(m.faceID): r = \(m.r)")
            #expect(m.psnrOutside == nil)
        }
        print("mouth: \(clip.file) chosen \(clip.face): " + measured.map { "face \($0.faceID) r=\(String(format: "%.3f", $0.r)) psnr=\(String(format: "%.1f", $0.psnrOutside ?? 0))" }.joined(separator: ", ")
              + "; input: " + baseline.map { "face \($0.faceID) r=\(String(format: "%.3f", $0.r))" }.joined(separator: ", "))
    }

    @Test func envelopeIsZeroOutsideTheInsertAndFollowsLoudness() {
        // 1 s of silence, 1 s of a loud tone, 1 s of silence, inserted at 2 s of a 6 s video.
        let rate = 48000
        var samples = [Float](repeating: 0, count: 3 * rate)
        for i in rate..<(2 * rate) { samples[i] = 0.5 * Float(sin(2 * Double.pi * 440 * Double(i) / Double(rate))) }
        let env = LoudnessEnvelope.envelope(samples: samples, sampleRate: rate, insertMs: 2000, soundMs: 3000, fps: 25, durationMs: 6000)
        #expect(env.values.count == 150)
        #expect(env.insertedFrames == 50..<125)
        #expect(env.values[0..<50].allSatisfy { $0 == 0 } && env.values[125...].allSatisfy { $0 == 0 })
        #expect(env.values[60..<75].allSatisfy { $0 == 0 })
        #expect(env.values[78..<100].allSatisfy { $0 > 0.95 })
        // Opens within two frames, closes more slowly.
        #expect(env.values[76] > 0.7)
        #expect(env.values[101] > 0.3 && env.values[101] < env.values[99])
    }

    @Test func quietAndOutsideFramesStayBitIdenticalAndALoudOneChangesOnlyAroundTheMouth() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = Media.path("two-faces.mp4")
        let tracks = try await sharedIdentifier.identify(videoPath: clip, cropsDirectory: dir)
        let face = try #require(tracks.first { $0.index == 0 })
        let other = try #require(tracks.first { $0.index == 1 })
        let facts = try await VideoValidator.check(videoPath: clip)
        let (w, h) = (facts.width, facts.height)
        // Frame 0 of the clip; the envelope is loud on frame 1 only.
        let reader = try FrameReader(path: clip, width: w, height: h, pixelFormat: .yuv420p, constantRate: facts.fps)
        let original = try await DedicatedThread.run(name: "test-read") { () throws -> [UInt8] in
            var buffer: [UInt8] = []
            _ = try reader.read(into: &buffer)
            reader.cancel()
            return buffer
        }
        var values = [Double](repeating: 0, count: 10)
        values[1] = 1
        let envelope = LoudnessEnvelope(values: values, insertedFrames: 1..<2)
        let detector = try await SharedLandmarkModel.detector()
        var stage = MouthStage(face: face, envelope: envelope, fps: facts.fps, detector: detector)
        func run(_ index: Int) throws -> [UInt8] {
            var pixels = original
            try pixels.withUnsafeMutableBytes { raw in
                var frame = VideoFrame(index: index, timeMs: index * 40, width: w, height: h, pixelFormat: .yuv420p, pixels: raw)
                try stage.process(&frame)
            }
            return pixels
        }
        #expect(try run(0) == original, "a silent frame passes untouched")
        #expect(try run(5) == original, "a frame outside the inserted range passes untouched")
        let loud = try run(1)
        #expect(loud != original)
        // Every changed luma pixel lies in the chosen face (the triangles around the moving points) or just below it, none on the other face.
        let box = try #require(face.box(atMs: 40)), otherBox = try #require(other.box(atMs: 40))
        var changed = 0
        for y in 0..<h {
            for x in 0..<w where loud[y * w + x] != original[y * w + x] {
                changed += 1
                #expect(x >= box.x - box.width / 2 && x < box.x + box.width * 3 / 2 && y >= box.y
                        && y < box.y + box.height * 2, "pixel \(x),\(y) changed away from the mouth")
                #expect(!(x >= otherBox.x && x < otherBox.x + otherBox.width && y >= otherBox.y && y < otherBox.y + otherBox.height))
                if changed > 100_000 { break }
            }
        }
        #expect(changed > 200, "only \(changed) pixels changed")
    }
}
