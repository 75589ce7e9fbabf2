import Foundation
import KlipMedia
import Testing

struct MeasureJSON: Decodable {
    struct Face: Decodable { var face_id: String; var r: Double; var psnr_outside: Double?; var frames: Int }
    var faces: [Face]
}

/// `klip measure` on a render made through the whole path: identify and lipsync against the
/// embedded emulator (which animates the chosen face), then measured from the files alone.
@Suite(.serialized) struct MeasureCommandTests {
    @Test func aLipsyncRenderFollowsTheAudioAndTheInputDoesNot() async throws {
        let klip = try CLIRunner()
        let video = CLIRunner.media("two-faces.mp4"), speech = CLIRunner.media("speech.wav")
        let identified = try await klip("identify", video, "--json")
        #expect(identified.status == 0, "\(identified.stderr)")
        let session = try JSONDecoder().decode(IdentifyJSON.self, from: Data(identified.stdout.utf8))
        #expect(session.face_data.map(\.face_id) == ["0", "1"])

        let out = klip.stateDir + "/out.mp4"
        let created = try await klip("lipsync", "--session", session.session_id, "--face", "0", "--audio", speech,
                                     "--start", "0", "--end", "3500", "--insert", "1500", "--wait", "--out", out, "--json")
        #expect(created.status == 0, "\(created.stderr)")

        let measured = try await klip("measure", out, "--audio", speech, "--insert", "1500", "--end", "3500",
                                      "--input", video, "--json")
        #expect(measured.status == 0, "\(measured.stderr)")
        let faces = try JSONDecoder().decode(MeasureJSON.self, from: Data(measured.stdout.utf8)).faces
        #expect(faces.map(\.face_id) == ["0", "1"])
        let chosen = try #require(faces.first { $0.face_id == "0" }), other = try #require(faces.first { $0.face_id == "1" })
        #expect(chosen.r >= 0.9, "chosen face r = \(chosen.r)")
        #expect(abs(other.r) <= 0.2, "other face r = \(other.r)")
        #expect((chosen.psnr_outside ?? 0) >= 40, "PSNR outside \(chosen.psnr_outside ?? -1)")

        // Without --input there is no PSNR; the table names the columns.
        let input = try await klip("measure", video, "--audio", speech, "--insert", "1500", "--end", "3500", "--json")
        #expect(input.status == 0, "\(input.stderr)")
        #expect(!input.stdout.contains("psnr_outside"))
        for face in try JSONDecoder().decode(MeasureJSON.self, from: Data(input.stdout.utf8)).faces {
            #expect(abs(face.r) <= 0.2, "input face \(face.face_id) r = \(face.r)")
        }
        let table = try await klip("measure", video, "--audio", speech, "--insert", "1500", "--end", "3500")
        #expect(table.stdout.contains("face_id") && table.stdout.contains("psnr_outside"))

        let missing = try await klip("measure", video, "--audio", "media/nope.wav", "--insert", "0")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.wav"))
    }
}
