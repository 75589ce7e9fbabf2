import Foundation
import Testing

/// kling.match: dlib's face descriptor on the sessions' face crops (served over HTTP by the
/// emulator, as the cloud serves them) and on photos.
@Suite struct MatchTests {
    @Test func theSamePersonIsFoundAcrossSessionsAndAStrangerIsNot() async throws {
        let klip = try CLIRunner()
        let two = CLIRunner.media("two-faces.mp4"), one = CLIRunner.media("one-face.mp4")
        let swapped = try await EditMedia.shared.swapped()
        let astronaut = EditMedia.photo("astronaut.png"), hopper = EditMedia.photo("grace_hopper.jpg")
        let r = try await klip("run", "--media-root", CLIRunner.root.path, "--media-root", EditMedia.shared.dir.path,
                               "--media-root", klip.stateDir, "-e", """
        local a, b, solo = identify("\(two)"), identify("\(swapped)"), identify("\(one)")
        assert(a.faces[1].face_image:match("^https?://"), "crops are URLs")
        local function show(label, face, d) print(label, face and face.face_id or "nil", ("%.3f"):format(d)) end
        show("photo-astronaut", kling.match("\(astronaut)", a))
        show("photo-hopper", kling.match("\(hopper)", a))
        show("left-in-swapped", kling.match(a.faces[1], b))
        show("right-in-swapped", kling.match(a.faces[2], b))
        show("hopper-in-solo", kling.match("\(hopper)", solo))
        show("strict", kling.match(a.faces[1], b, {threshold = 0.0001}))
        local ok, err = pcall(kling.match, 42, a)
        print("bad", ok, err.field)
        """)
        #expect(r.status == 0, "\(r.stderr)")
        var seen: [String: (String, Double)] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            if f.count == 3, let d = Double(f[2]) { seen[f[0]] = (f[1], d) }
        }
        // two-faces: 0 the astronaut (left), 1 Grace Hopper; mirrored, the order flips.
        #expect(seen["photo-astronaut"]?.0 == "0" && (seen["photo-astronaut"]?.1 ?? 1) < 0.45, "\(seen)")
        #expect(seen["photo-hopper"]?.0 == "1" && (seen["photo-hopper"]?.1 ?? 1) < 0.45, "\(seen)")
        #expect(seen["left-in-swapped"]?.0 == "1", "\(seen)")
        #expect(seen["right-in-swapped"]?.0 == "0", "\(seen)")
        // Nobody close enough: nil, with the nearest distance.
        #expect(seen["hopper-in-solo"]?.0 == "nil" && (seen["hopper-in-solo"]?.1 ?? 0) > 0.6, "\(seen)")
        #expect(seen["strict"]?.0 == "nil", "\(seen)")
        #expect(r.stdout.contains("bad\tfalse\treference"))
    }
}
