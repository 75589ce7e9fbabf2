import ArgumentParser
import Foundation
import KlipEngine

/// `klip measure`: how well a rendered video's mouths follow the inserted audio.
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure lip sync: per face, the correlation of mouth opening with the inserted audio's loudness.",
        discussion: """
        Re-detects the faces and their landmarks in VIDEO and correlates each face's mouth opening \
        (inner-lip distance over face height) with the loudness envelope of the inserted audio \
        (clipped to --start/--end, scaled by --volume, placed at --insert), on the video's timeline. \
        With --input, also the PSNR of the frames outside the inserted range against the original.
        """)

    @Argument(help: "The video to measure (a render, or any video).")
    var video: String

    @Option(name: .long, help: "The inserted audio file.")
    var audio: String

    @Option(name: .long, help: "Where the audio was inserted, in ms of the video.")
    var insert: Int

    @Option(name: .long, help: "Start of the clip taken from the audio, in ms.")
    var start: Int = 0

    @Option(name: .long, help: "End of the clip taken from the audio, in ms (default: the audio's end).")
    var end: Int?

    @Option(name: .long, help: "Volume the audio was inserted with.")
    var volume: Double = 1

    @Option(name: .long, help: "The original video, for the PSNR of the frames outside the inserted range.")
    var input: String?

    @Flag(name: .long, help: "Print {\"faces\": [...]} as JSON.")
    var json = false

    func run() async throws {
        let faces: [SyncMeasurement]
        do {
            faces = try await SyncMeter().measure(videoPath: video, audioPath: audio, insertMs: insert, soundStartMs: start,
                                                  soundEndMs: end, volume: volume, inputPath: input)
        } catch let error as EngineError {
            throw CLIError(message: error.description)
        }
        if json { return try Output.json(["faces": faces]) }
        if faces.isEmpty {
            print("no faces found")
            return
        }
        Output.table(["face_id", "r", "psnr_outside", "frames"], faces.map {
            [$0.faceID, String(format: "%.3f", $0.r), $0.psnrOutside.map { String(format: "%.1f dB", $0) } ?? "-", "\($0.frames)"]
        })
    }
}
