import Foundation

/// Decoded video frames from one ffmpeg pipe (`-f rawvideo -pix_fmt rgb24`, or yuv420p).
/// Reads are blocking: use it from a `DedicatedThread`. `cancel()` works from any thread.
public final class FrameReader: @unchecked Sendable {
    /// Size of the frames delivered (after the optional scale).
    public let width: Int
    public let height: Int
    public let pixelFormat: RawPixelFormat
    public var frameBytes: Int { pixelFormat.frameBytes(width: width, height: height) }
    /// Only every n-th source frame is delivered (frame 0, n, 2n, ...).
    public let everyNthFrame: Int
    public let path: String
    private let process: PipedProcess

    /// - Parameters:
    ///   - width, height: the video's displayed size (`MediaProbe`'s size, swapped for a
    ///     ±90° rotation: see `VideoOrientation`), or the size to scale to.
    ///   - scale: true to scale the frames to `width`×`height`.
    ///   - everyNthFrame: sampling done by ffmpeg, so skipped frames never cross the pipe.
    ///   - constantRate: deliver frames at exactly this rate, repeating or dropping frames by
    ///     their timestamps, so frame n shows time n / rate even in a variable-rate (phone)
    ///     video. nil delivers every decoded frame once.
    public init(path: String, width: Int, height: Int, scale: Bool = false, everyNthFrame: Int = 1,
                pixelFormat: RawPixelFormat = .rgb24, constantRate: Double? = nil) throws {
        precondition(width > 0 && height > 0 && everyNthFrame >= 1)
        self.path = path
        self.width = width
        self.height = height
        self.everyNthFrame = everyNthFrame
        self.pixelFormat = pixelFormat
        var filters: [String] = []
        if let constantRate { filters.append("fps=fps=\(FrameReader.rate(constantRate)):round=near") }
        if everyNthFrame > 1 { filters.append("select='not(mod(n\\,\(everyNthFrame)))'") }
        // 0:V skips cover art. Always pin the size: a stream whose size differs from the probe would otherwise
        // desynchronise frame boundaries silently.
        filters.append("scale=\(width):\(height)\(scale ? ":flags=area" : "")")
        let arguments = ["-nostdin", "-hide_banner", "-v", "error", "-i", path, "-map", "0:V:0",
                         "-vf", filters.joined(separator: ","), "-fps_mode", "passthrough",
                         "-f", "rawvideo", "-pix_fmt", pixelFormat.rawValue, "pipe:1"]
        process = try PipedProcess(tool: "ffmpeg", arguments: arguments, pipeStdin: false, pipeStdout: true)
    }

    /// A frame rate as ffmpeg options take it: enough digits that 29.97 (30000/1001) stays exact.
    public static func rate(_ fps: Double) -> String { String(format: "%.6f", fps) }

    /// Reads the next frame into `buffer` (resized to `frameBytes` if needed).
    /// Returns false at the end of the video.
    public func read(into buffer: inout [UInt8]) throws -> Bool {
        if buffer.count != frameBytes { buffer = [UInt8](repeating: 0, count: frameBytes) }
        let more = try buffer.withUnsafeMutableBytes { try process.readExactly($0) }
        if !more && process.isCancelled { throw CancellationError() }
        return more
    }

    /// Waits for ffmpeg to exit; throws if it failed (a broken file surfaces here).
    public func close() throws {
        do { try process.finish() } catch let error as MediaError {
            if case let .toolFailed(_, _, stderr) = error { throw MediaError.invalidMedia(path: path, detail: stderr) }
            throw error
        }
    }

    public func cancel() { process.cancel() }
}
