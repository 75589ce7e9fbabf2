import Foundation

/// Still images through ffmpeg; the format follows the file extension (.jpg, .jpeg, .png).
public enum ImageWriter {
    /// Writes a tightly packed RGB24 buffer as an image file.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) async throws {
        precondition(rgb.count == width * height * 3, "buffer is not width*height*3 bytes")
        let ext = (path as NSString).pathExtension.lowercased()
        guard ["jpg", "jpeg", "png"].contains(ext) else {
            throw MediaError.invalidMedia(path: path, detail: "image must be .jpg, .jpeg or .png")
        }
        var arguments = ["-nostdin", "-hide_banner", "-v", "error", "-y",
                         "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-i", "pipe:0",
                         "-frames:v", "1", "-update", "1"]
        if ext != "png" { arguments += ["-q:v", "3"] }
        arguments.append(path)
        let output = try await ProcessRunner.run("ffmpeg", arguments, stdin: Data(rgb))
        guard output.status == 0 else {
            throw MediaError.toolFailed(tool: "ffmpeg", status: output.status, stderr: "\(path): \(output.stderr)")
        }
    }
}
