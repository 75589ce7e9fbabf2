import Foundation
import KlipEngine
import KlipMedia
import Testing

/// Face intervals against the truth recorded in media/README.md (±100 ms, Kling's own slack).
@Suite("Face identification on the sample clips")
struct FaceIdentifierTests {
    func identify(_ clip: String) async throws -> (tracks: [FaceTrack], crops: URL) {
        let crops = try makeTempDirectory()
        let tracks = try await sharedIdentifier.identify(videoPath: Media.path(clip), cropsDirectory: crops)
        return (tracks, crops)
    }

    @Test func oneFaceIsPresentThroughout() async throws {
        let (tracks, crops) = try await identify("one-face.mp4")
        defer { try? FileManager.default.removeItem(at: crops) }
        try #require(tracks.count == 1, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(tracks[0].index == 0)
        #expect(near(tracks[0].startMs, 0, 100), "start \(tracks[0].startMs)")
        #expect(near(tracks[0].endMs, 10_000, 100), "end \(tracks[0].endMs)")
        // A box every searched frame (every 3rd at 25 fps), each where the face is.
        #expect(tracks[0].samples.count >= 80)
        #expect(tracks[0].samples.allSatisfy { $0.width > 150 && $0.x > 400 && $0.x + $0.width < 900 })
        let crop = try await MediaProbe.probe(crops.appendingPathComponent("face-0.jpg").path)
        #expect(crop.video?.codec == "mjpeg")
        #expect((crop.video?.width ?? 0) >= 300)
    }

    @Test func twoFacesGetDistinctIndices() async throws {
        let (tracks, crops) = try await identify("two-faces.mp4")
        defer { try? FileManager.default.removeItem(at: crops) }
        try #require(tracks.count == 2, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(tracks.map(\.index) == [0, 1])
        for track in tracks {
            #expect(near(track.startMs, 0, 100), "start \(track.startMs)")
            #expect(near(track.endMs, 8_000, 100), "end \(track.endMs)")
        }
        // Same first appearance: left to right. The astronaut is left, Grace Hopper right.
        #expect(tracks[0].samples[0].x + tracks[0].samples[0].width < 640)
        #expect(tracks[1].samples[0].x > 640)
        for index in 0..<2 {
            #expect(FileManager.default.fileExists(atPath: crops.appendingPathComponent("face-\(index).jpg").path))
        }
    }

    @Test func partialFaceIntervalMatchesTheTruth() async throws {
        let (tracks, crops) = try await identify("partial-face.mp4")
        defer { try? FileManager.default.removeItem(at: crops) }
        try #require(tracks.count == 1, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(near(tracks[0].startMs, 3_000, 100), "start \(tracks[0].startMs)")
        #expect(near(tracks[0].endMs, 7_000, 100), "end \(tracks[0].endMs)")
    }

    @Test func partialFaceAt1080pAnd2997fps() async throws {
        // Another frame rate (searched every 4th frame) and a smaller detection scale (1/3).
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("partial-1080p.mp4").path
        try await ffmpeg(["-i", Media.path("partial-face.mp4"), "-vf", "fps=30000/1001,scale=1920:1080",
                          "-c:v", "libx264", "-preset", "ultrafast", "-an", path])
        let tracks = try await sharedIdentifier.identify(videoPath: path, cropsDirectory: dir)
        try #require(tracks.count == 1, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(near(tracks[0].startMs, 3_000, 100), "start \(tracks[0].startMs)")
        #expect(near(tracks[0].endMs, 7_000, 100), "end \(tracks[0].endMs)")
        #expect(tracks[0].samples.allSatisfy { $0.width > 250 })
    }

    @Test func intervalsAreFrameExactAcrossADetectorMiss() async throws {
        // The face is on frames 76-170 and 172 (searched frames are 0, 3, 6, ...: 171 is
        // one, and the face is missing there): it starts at 3040 ms and ends with frame
        // 172 at 6920 ms, which takes following it past the miss.
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("blink.mp4").path
        try await ffmpeg(["-f", "lavfi", "-i", "color=c=0x2b3038:s=1280x720:r=25:d=10", "-loop", "1", "-framerate", "25",
                          "-i", Media.directory.appendingPathComponent("source/astronaut.png").path,
                          "-filter_complex", "[1:v]crop=300:300:70:0,scale=680:680[p];[0:v][p]overlay=x=300:y=20:shortest=1:enable='between(n,76,170)+eq(n,172)'",
                          "-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path])
        let tracks = try await sharedIdentifier.identify(videoPath: path, cropsDirectory: dir)
        try #require(tracks.count == 1, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(tracks[0].startMs == 3040)
        #expect(tracks[0].endMs == 6920)
    }

    @Test func variableFrameRateKeepsTrueTimes() async throws {
        // Phone-style timing: the first 50 frames last 80 ms, the rest 40 ms, so the face
        // (frames 75-174) is on screen from 5.0 s to 9.0 s of a 12 s video, while frame
        // counting at the average rate (20.8 fps) would put it at 3.6-8.4 s.
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("vfr.mp4").path
        try await ffmpeg(["-i", Media.path("partial-face.mp4"), "-vf", "setpts='if(lt(N,50),N*0.08,4+(N-50)*0.04)/TB'",
                          "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-an", path])
        let tracks = try await sharedIdentifier.identify(videoPath: path, cropsDirectory: dir)
        try #require(tracks.count == 1, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(near(tracks[0].startMs, 5_000, 100), "start \(tracks[0].startMs)")
        #expect(near(tracks[0].endMs, 9_000, 100), "end \(tracks[0].endMs)")

        // The render keeps every moment where it was: the face is at the same times in the output.
        let out = dir.appendingPathComponent("out.mp4").path
        let facts = try await LipSyncRenderer().render(RenderRequest(
            videoPath: path, audioPath: Media.path("speech.wav"), soundStartMs: 0, soundEndMs: 3000, insertMs: 1000, outputPath: out))
        #expect(near(facts.durationMs, 12_000, 60), "output \(facts.durationMs) ms")
        let rendered = try await sharedIdentifier.identify(videoPath: out, cropsDirectory: dir)
        try #require(rendered.count == 1)
        #expect(near(rendered[0].startMs, 5_000, 100) && near(rendered[0].endMs, 9_000, 100),
                "rendered \(rendered[0].startMs)-\(rendered[0].endMs)")
    }

    @Test func gapsLongerThanOneSecondStartANewFace() async throws {
        let (tracks, crops) = try await identify("gap-face.mp4")
        defer { try? FileManager.default.removeItem(at: crops) }
        // 0-2 s, gap 2 s, 4-5.5 s, gap 0.5 s (bridged), 6-8 s.
        try #require(tracks.count == 2, "tracks: \(tracks.map { ($0.startMs, $0.endMs) })")
        #expect(near(tracks[0].startMs, 0, 100) && near(tracks[0].endMs, 2_000, 100), "\(tracks[0].startMs)-\(tracks[0].endMs)")
        #expect(near(tracks[1].startMs, 4_000, 100) && near(tracks[1].endMs, 8_000, 100), "\(tracks[1].startMs)-\(tracks[1].endMs)")
        #expect(tracks.map(\.index) == [0, 1])
    }

    @Test func noFaceIsAnError() async throws {
        let crops = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: crops) }
        await #expect {
            _ = try await sharedIdentifier.identify(videoPath: Media.path("no-face.mp4"), cropsDirectory: crops)
        } throws: { error in
            guard case let .noFace(message)? = error as? EngineError else { return false }
            return message.contains("no-face.mp4")
        }
    }

    @Test func unreadableVideoIsAMediaErrorNamingTheFile() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bogus = dir.appendingPathComponent("broken.mp4")
        try Data("not a video".utf8).write(to: bogus)
        await #expect {
            _ = try await sharedIdentifier.identify(videoPath: bogus.path, cropsDirectory: dir)
        } throws: { error in
            guard case let .media(message)? = error as? EngineError else { return false }
            return message.contains("broken.mp4")
        }
    }

    @Test func landmarksSitOnTheFace() async throws {
        let detector = try FaceDetector(modelPath: "/usr/share/dlib/shape_predictor_68_face_landmarks.dat")
        let reader = try FrameReader(path: Media.path("one-face.mp4"), width: 1280, height: 720)
        let result = try await DedicatedThread.run(name: "test") { () -> ([DetectedFace], [Double]) in
            var frame: [UInt8] = []
            _ = try reader.read(into: &frame)
            reader.cancel()
            return frame.withUnsafeBytes { pixels in
                let faces = detector.detect(rgb: pixels, width: 1280, height: 720, scale: 0.5, threshold: 0.3)
                guard let face = faces.first,
                      let points = detector.landmarks(rgb: pixels, width: 1280, height: 720, box: face) else { return (faces, []) }
                return (faces, points.flatMap { [$0.x, $0.y] })
            }
        }
        let (faces, flat) = result
        try #require(faces.count == 1 && flat.count == 136)
        // The Y plane of the same frame gives the same face and landmarks.
        let yuvReader = try FrameReader(path: Media.path("one-face.mp4"), width: 1280, height: 720, pixelFormat: .yuv420p)
        let grey = try await DedicatedThread.run(name: "test-yuv") { () -> ([DetectedFace], [Double]) in
            var frame: [UInt8] = []
            _ = try yuvReader.read(into: &frame)
            yuvReader.cancel()
            return frame.withUnsafeBytes { pixels in
                let faces = detector.detect(frame: pixels, width: 1280, height: 720, pixelFormat: .yuv420p, scale: 0.5, threshold: 0.3)
                guard let face = faces.first, let points = detector.landmarks(
                    frame: pixels, width: 1280, height: 720, pixelFormat: .yuv420p, box: face) else { return (faces, []) }
                return (faces, points.flatMap { [$0.x, $0.y] })
            }
        }
        try #require(grey.0.count == 1 && grey.1.count == 136)
        #expect(abs(grey.0[0].x - faces[0].x) <= 4 && abs(grey.0[0].width - faces[0].width) <= 4, "\(grey.0[0]) vs \(faces[0])")
        #expect(zip(grey.1, flat).allSatisfy { abs($0 - $1) <= 4 })
        let face = faces[0]
        func point(_ i: Int) -> (x: Double, y: Double) { (flat[2 * i], flat[2 * i + 1]) }
        let nose = point(30), chin = point(8), leftEye = point(36), rightEye = point(45)
        #expect(Double(face.x) < nose.x && nose.x < Double(face.x + face.width))
        #expect(leftEye.y < nose.y && rightEye.y < nose.y && nose.y < chin.y)
        #expect(leftEye.x < nose.x && nose.x < rightEye.x)
        #expect(face.score > 0.8)
    }
}
