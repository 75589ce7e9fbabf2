import ArgumentParser
import Foundation
import KlingAPI

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Find the faces in a video and the intervals each can be lip-synced in.")

    @Argument(help: "An http(s) URL, or (local emulator) a path or file:// URL.")
    var video: String

    @Option(name: .long, help: "A Kling-generated video's id, instead of a URL.")
    var videoID: String?

    @Option(name: .long, help: "Also draw a contact sheet (each face's crop, face_id and interval on the timeline) into this PNG.")
    var sheet: String?

    @Flag(name: .long, help: "Print the API's data object (session_id, face_data) as JSON.")
    var json = false

    @OptionGroup var backend: BackendOptions
    @OptionGroup var localUpload: LocalUpload

    func run() async throws {
        let backend = try backend.makeBackend()
        let sent = videoID == nil ? try await localUpload.resolve(video, backend: backend) : video
        let found = try await backend.run { client in
            let result = if let videoID { try await client.identifyFace(IdentifyFaceRequest(videoID: videoID)) }
                         else { try await client.identifyFace(video: sent) }
            if let sheet {
                let written = try await client.contactSheet(result, title: "\((video as NSString).lastPathComponent): \(result.faceData.count) face(s)", to: sheet)
                stderrLine("klip: contact sheet \(written)")
            }
            return result
        }
        let result = backend.presented(found)
        if json { return try Output.json(result) }
        print("session  \(result.sessionID)")
        if result.faceData.isEmpty {
            print("no faces found")
            return
        }
        Output.table(["face_id", "start", "end", "length", "face_image"], result.faceData.map {
            [$0.faceID, Output.seconds($0.startTime), Output.seconds($0.endTime),
             Output.seconds($0.endTime - $0.startTime), $0.faceImage]
        })
    }
}
