import Foundation

/// A failure reading or writing media. Every case names the file it is about.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be opened.
    case unreadable(path: String, detail: String)
    /// ffprobe/ffmpeg could not make sense of the file.
    case invalidMedia(path: String, detail: String)
    /// The file has no stream of the kind the operation needs ("video" or "audio").
    case missingStream(path: String, kind: String)
    /// A tool this operation needs is not installed.
    case toolMissing(String)
    /// A tool exited with an error.
    case toolFailed(tool: String, status: Int32, stderr: String)

    public var description: String {
        switch self {
        case let .unreadable(path, detail): "\(path): cannot be read (\(detail))"
        case let .invalidMedia(path, detail): "\(path): not readable as media (\(detail))"
        case let .missingStream(path, kind): "\(path): has no \(kind) stream"
        case let .toolMissing(tool): "\(tool) is not installed (run scripts/setup)"
        case let .toolFailed(tool, status, stderr): "\(tool) exited with status \(status): \(stderr)"
        }
    }
}
