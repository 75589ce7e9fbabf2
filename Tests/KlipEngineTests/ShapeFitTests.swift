import CFaceLandmarks
import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

/// The detector evaluates dlib's landmark model from its own flat copy (shape_fit.h, for
/// speed); every point must still be the one dlib's shape_predictor gives.
@Suite("Landmark fit against dlib's shape predictor")
struct ShapeFitTests {
    @Test func everyPointIsDlibsOnFacesAndShiftedResizedBoxes() async throws {
        let clip = Media.path("two-faces.mp4")
        let facts = try await VideoValidator.check(videoPath: clip)
        let (w, h) = (facts.width, facts.height)
        let reader = try FrameReader(path: clip, width: w, height: h, pixelFormat: .yuv420p)
        let frame = try await DedicatedThread.run(name: "test-read") { () throws -> [UInt8] in
            var buffer: [UInt8] = []
            _ = try reader.read(into: &buffer)
            reader.cancel()
            return buffer
        }
        let detector = try await SharedLandmarkModel.detector()
        let faces = frame.withUnsafeBytes {
            detector.detect(frame: $0, width: w, height: h, pixelFormat: .yuv420p, scale: 1, threshold: 0.3)
        }
        try #require(faces.count == 2)
        // Boxes off the face by up to a fifth of its size and 0.8-1.2 of it, as tracked boxes
        // are between detections, plus one hanging over the frame's corner.
        var boxes: [cfl_face] = []
        for face in faces {
            for dx in [-face.width / 5, 0, face.width / 7] {
                for size in [face.width * 4 / 5, face.width, face.width * 6 / 5] {
                    boxes.append(cfl_face(x: Int32(face.x + dx), y: Int32(face.y - dx / 2), width: Int32(size), height: Int32(size), score: 1))
                }
            }
        }
        boxes.append(cfl_face(x: -40, y: -30, width: 160, height: 160, score: 1))
        let fitted = frame.withUnsafeBytes { pixels in
            boxes.map { box in
                detector.landmarks(frame: pixels, width: w, height: h, pixelFormat: .yuv420p,
                                   box: DetectedFace(x: Int(box.x), y: Int(box.y), width: Int(box.width), height: Int(box.height), score: 1))
            }
        }
        var reference = [cfl_point](repeating: cfl_point(), count: boxes.count * Int(CFL_LANDMARK_COUNT))
        let status = frame.withUnsafeBytes { pixels in
            cfl_reference_landmarks_grey(SharedLandmarkModel.path, pixels.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                         Int32(w), Int32(h), Int32(w), boxes, Int32(boxes.count), &reference)
        }
        try #require(status == 0)
        for (b, points) in fitted.enumerated() {
            let points = try #require(points, "box \(boxes[b])")
            let expected = reference[(b * 68)..<((b + 1) * 68)].map { (x: Double($0.x), y: Double($0.y)) }
            let differing = zip(points, expected).filter { $0.x != $1.x || $0.y != $1.y }.count
            #expect(differing == 0, "box \(boxes[b]): \(differing) of 68 points differ from dlib's")
        }
        // Not all alike: the boxes really moved the fit.
        #expect(Set(fitted.compactMap { $0?[57].y }).count > 3)
    }
}
