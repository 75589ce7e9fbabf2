import Foundation

/// Still images through ffmpeg; the format follows the file extension (.jpg, .jpeg, .png).
public enum ImageWriter {
    /// Writes a tightly packed RGB24 buffer as an image file.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) async throws {
        try await write(pixels: rgb, width: width, height: height, pixelFormat: .rgb24, to: path)
    }

    /// Writes a raw frame (tightly packed, in `pixelFormat`) as an image file.
    public static func write(pixels: [UInt8], width: Int, height: Int, pixelFormat: RawPixelFormat,
                             to path: String) async throws {
        precondition(pixels.count == pixelFormat.frameBytes(width: width, height: height), "buffer size does not match")
        let ext = (path as NSString).pathExtension.lowercased()
        guard ["jpg", "jpeg", "png"].contains(ext) else {
            throw MediaError.invalidMedia(path: path, detail: "image must be .jpg, .jpeg or .png")
        }
        var arguments = ["-nostdin", "-hide_banner", "-v", "error", "-y",
                         "-f", "rawvideo", "-pix_fmt", pixelFormat.rawValue, "-s", "\(width)x\(height)", "-i", "pipe:0",
                         "-frames:v", "1", "-update", "1"]
        if ext != "png" { arguments += ["-q:v", "3"] }
        arguments.append(path)
        let output = try await ProcessRunner.run("ffmpeg", arguments, stdin: Data(pixels))
        guard output.status == 0 else {
            throw MediaError.toolFailed(tool: "ffmpeg", status: output.status, stderr: "\(path): \(output.stderr)")
        }
    }
}
