import Foundation
import KlingAPI

/// The embedded emulator stops with the command, so its `http://127.0.0.1:PORT/files/...`
/// addresses die with it; the files stay in the state folder. Commands print those files.
extension Backend {
    nonisolated func presented(_ url: String) -> String {
        guard case let .embedded(config) = target, let parts = URLComponents(string: url),
              ["127.0.0.1", "localhost", "::1"].contains(parts.host ?? ""), parts.path.hasPrefix("/files/") else { return url }
        let file = URL(fileURLWithPath: config.stateDirectory).standardizedFileURL
            .appendingPathComponent("files").appendingPathComponent(String(parts.path.dropFirst("/files/".count)))
        return file.absoluteString
    }

    nonisolated func presented(_ task: LipSyncTask) -> LipSyncTask {
        guard var result = task.taskResult else { return task }
        var task = task
        for i in result.videos.indices { result.videos[i].url = presented(result.videos[i].url) }
        task.taskResult = result
        return task
    }

    nonisolated func presented(_ result: IdentifyFaceResult) -> IdentifyFaceResult {
        var result = result
        for i in result.faceData.indices { result.faceData[i].faceImage = presented(result.faceData[i].faceImage) }
        return result
    }

    /// The embedded emulator's refusal of a file outside --media-root, as the CLI's own
    /// error naming the flag (it is not Kling's answer: Kling never reads local files).
    nonisolated func explained(_ error: any Error) -> any Error {
        guard case .embedded = target, let error = error as? KlingError, error.code == 1201,
              let range = error.message.range(of: " is outside the configured media roots") else { return error }
        // The emulator words it "invalid FIELD: PATH is outside ...".
        var subject = String(error.message[..<range.lowerBound])
        if subject.hasPrefix("invalid "), let colon = subject.range(of: ": ") {
            subject = String(subject[colon.upperBound...]) + " (" + subject.dropFirst("invalid ".count).prefix(upTo: colon.lowerBound) + ")"
        }
        return CLIError(message: "\(subject) is outside the --media-root folders: add its folder with --media-root, or leave --media-root out to allow any file you name")
    }
}
