import Foundation

/// Feeds raw frames into an ffmpeg encode through stdin. The caller gives the whole
/// command line (so the same call can also read and mix audio); `rawVideoInput` makes the
/// part that declares the pipe. Writes are blocking: use it from a `DedicatedThread`.
public final class FrameWriter: @unchecked Sendable {
    public let outputPath: String
    private let process: PipedProcess

    public init(arguments: [String], outputPath: String) throws {
        self.outputPath = outputPath
        process = try PipedProcess(tool: "ffmpeg", arguments: ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments,
                                   pipeStdin: true, pipeStdout: false)
    }

    /// The input arguments for frames arriving on stdin. `fps` is written with enough
    /// digits that 29.97 (30000/1001) stays exact to ffmpeg.
    public static func rawVideoInput(width: Int, height: Int, fps: Double, pixelFormat: RawPixelFormat = .rgb24) -> [String] {
        ["-f", "rawvideo", "-pix_fmt", pixelFormat.rawValue, "-s", "\(width)x\(height)",
         "-framerate", FrameReader.rate(fps), "-i", "pipe:0"]
    }

    public func write(_ frame: [UInt8]) throws {
        try frame.withUnsafeBytes { try process.writeAll($0) }
    }

    public func write(_ frame: UnsafeRawBufferPointer) throws {
        try process.writeAll(frame)
    }

    /// Ends the input and waits for the encode to finish; throws with ffmpeg's stderr.
    public func finish() throws {
        try process.finish()
    }

    public func cancel() { process.cancel() }
}
