import Foundation
import KlipEngine
import KlipMedia
import Testing

/// The ground truth scripts/make-faces writes next to each clip (NAME.json).
struct FaceTruth: Decodable {
    struct Face: Decodable {
        var photo: String
        var size: Int
        var required: Bool
        var start_ms: Int
        var end_ms: Int
        var visible: [[Int]]
        /// [t_ms, x, y, w, h] at the clip's start and end; the box moves linearly between.
        var path: [[Double]]

        /// The true box's centre at `timeMs`.
        func centre(atMs timeMs: Int) -> (x: Double, y: Double) {
            let a = path[0], b = path[path.count - 1]
            let f = b[0] > a[0] ? (Double(timeMs) - a[0]) / (b[0] - a[0]) : 0
            return (a[1] + (b[1] - a[1]) * f + a[3] / 2, a[2] + (b[2] - a[2]) * f + a[4] / 2)
        }

        /// A detected box is this face when it is on screen then, centred within half a face
        /// of it and of about its size.
        func matches(_ s: FaceSample) -> Bool {
            guard visible.contains(where: { s.timeMs >= $0[0] - 80 && s.timeMs < $0[1] + 80 }) else { return false }
            let c = centre(atMs: s.timeMs)
            let dx = Double(s.x) + Double(s.width) / 2 - c.x, dy = Double(s.y) + Double(s.height) / 2 - c.y
            let ratio = Double(s.height) / Double(size)
            return (dx * dx + dy * dy).squareRoot() <= Double(size) / 2 && ratio > 0.6 && ratio < 1.7
        }
    }

    var width: Int
    var height: Int
    var fps: Int
    var duration_ms: Int
    var faces: [Face]

    static func load(_ path: String) throws -> FaceTruth {
        try JSONDecoder().decode(FaceTruth.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// How identify's tracks compare with the truth of one clip.
struct RecallScore: CustomStringConvertible {
    var expected = 0        // required faces (64 px and up)
    var found = 0           // of those, reported
    var optional = 0        // faces under 64 px, reported (neither required nor false)
    var optionalTotal = 0
    var falseFaces = 0      // tracks that are no true face, or a second track of one face
    var worstIntervalErrorMs = 0
    var missed: [String] = []

    var description: String {
        "expected \(expected), found \(found), false \(falseFaces), worst interval error \(worstIntervalErrorMs) ms"
            + (optionalTotal > 0 ? ", under 64 px \(optional)/\(optionalTotal)" : "")
            + (missed.isEmpty ? "" : ", missed \(missed.joined(separator: " "))")
    }

    /// Each track goes to the true face most of its samples match (at least half of them),
    /// or counts as a false face.
    init(truth: FaceTruth, tracks: [FaceTrack]) {
        var assigned = [[FaceTrack]](repeating: [], count: truth.faces.count)
        for track in tracks {
            let hits = truth.faces.map { face in track.samples.filter { face.matches($0) }.count }
            if let best = hits.indices.max(by: { hits[$0] < hits[$1] }), hits[best] * 2 >= track.samples.count {
                assigned[best].append(track)
            } else {
                falseFaces += 1
            }
        }
        for (face, found) in zip(truth.faces, assigned) {
            falseFaces += max(0, found.count - 1)
            if !face.required {
                optionalTotal += 1
                optional += found.isEmpty ? 0 : 1
                continue
            }
            expected += 1
            guard let start = found.map(\.startMs).min(), let end = found.map(\.endMs).max() else {
                missed.append("\(face.photo)@\(face.size)px")
                continue
            }
            self.found += 1
            worstIntervalErrorMs = max(worstIntervalErrorMs, abs(start - face.start_ms), abs(end - face.end_ms))
        }
    }
}

/// The ground-truth corpus: made by scripts/make-faces into `directory`.
enum FaceCorpus {
    static let script = Media.directory.deletingLastPathComponent().appendingPathComponent("scripts/make-faces").path

    /// Makes the named clips (all when empty) into `directory`; returns their names.
    static func make(_ names: [String], into directory: URL) async throws -> [String] {
        var arguments = [script, "--out", directory.path]
        if !names.isEmpty { arguments += ["--only", names.joined(separator: ",")] }
        let made = try await ProcessRunner.run("python3", arguments)
        try #require(made.status == 0, "make-faces failed: \(made.stderr)")
        if !names.isEmpty { return names }
        let list = try await ProcessRunner.run("python3", [script, "--list"])
        return String(decoding: list.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The corpus the bench tables read: in KLIP_FACES_DIR (default `faces/` beside `media/`),
    /// the clips KLIP_FACES_ONLY names (all when unset), made there if missing.
    static func fromEnvironment() async throws -> (directory: URL, names: [String]) {
        let env = ProcessInfo.processInfo.environment
        let directory = URL(fileURLWithPath: env["KLIP_FACES_DIR"]
            ?? Media.directory.deletingLastPathComponent().appendingPathComponent("faces").path)
        let only = (env["KLIP_FACES_ONLY"] ?? "").split(separator: ",").map(String.init)
        return (directory, try await make(only, into: directory))
    }

    /// identify's tracks for a clip; none when it finds no face.
    static func identify(_ path: String, with identifier: FaceIdentifier) async throws -> [FaceTrack] {
        let crops = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: crops) }
        do { return try await identifier.identify(videoPath: path, cropsDirectory: crops) } catch EngineError.noFace { return [] }
    }
}
