import Foundation

/// One image that lets a person pick a face by eye: each face's crop, its `face_id`, and its
/// interval drawn on a timeline of the video. Drawn by one ffmpeg call (drawbox, drawtext).
public enum ContactSheet {
    public struct Face: Sendable {
        public var faceID: String
        /// A local image of the face (the API's face_image, downloaded).
        public var imagePath: String
        public var startMs: Int
        public var endMs: Int

        public init(faceID: String, imagePath: String, startMs: Int, endMs: Int) {
            self.faceID = faceID
            self.imagePath = imagePath
            self.startMs = startMs
            self.endMs = endMs
        }
    }

    static let width = 960
    static let rowHeight = 150
    static let header = 72
    static let thumb = 128
    static let barX = 200
    static let barWidth = 720
    static let font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// Writes the sheet as PNG to `output`. `durationMs`: the video's length (the timeline's end).
    public static func render(faces: [Face], durationMs: Int, title: String, to output: String) async throws {
        guard FileManager.default.fileExists(atPath: font) else {
            throw MediaError.toolMissing("the DejaVu font (\(font); apt-get install fonts-dejavu-core)")
        }
        let duration = max(durationMs, faces.map(\.endMs).max() ?? 0, 1)
        let height = header + max(1, faces.count) * rowHeight
        var args = ["-v", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", "color=c=0x1e2228:s=\(width)x\(height):d=1,format=rgb24"]
        for face in faces { args += ["-i", face.imagePath] }

        var graph: [String] = []
        var canvas = "[0:v]"
        func text(_ s: String, x: Int, y: Int, size: Int, color: String = "white") -> String {
            "drawtext=fontfile=\(font):text='\(escape(s))':x=\(x):y=\(y):fontsize=\(size):fontcolor=\(color)"
        }
        // Header: the title and the timeline's ticks, one per second (or per 5 s for long videos).
        var head = [text(title, x: 16, y: 10, size: 20)]
        let step = duration > 20000 ? 5000 : 1000
        for t in stride(from: 0, through: duration, by: step) {
            let x = barX + t * barWidth / duration
            head.append("drawbox=x=\(x):y=\(header - 12):w=1:h=8:c=0x8a93a0:t=fill")
            if t % (step * 2) == 0 || step == 5000 {
                head.append(text("\(t / 1000)s", x: x - 6, y: header - 28, size: 12, color: "0x8a93a0"))
            }
        }
        graph.append("\(canvas)\(head.joined(separator: ","))[h]")
        canvas = "[h]"

        for (i, face) in faces.enumerated() {
            let top = header + i * rowHeight
            let startX = barX + face.startMs * barWidth / duration
            let span = max(2, (face.endMs - face.startMs) * barWidth / duration)
            let colour = ["0x4fb3ff", "0xffb347", "0x7ddc7a", "0xff6f91", "0xc39bff"][i % 5]
            graph.append("[\(i + 1):v]scale=\(thumb):\(thumb):force_original_aspect_ratio=decrease,pad=\(thumb):\(thumb):(ow-iw)/2:(oh-ih)/2:color=0x111418[f\(i)]")
            let row = [
                "drawbox=x=0:y=\(top):w=\(width):h=1:c=0x2e343c:t=fill",
                text("face_id \(face.faceID)", x: barX, y: top + 22, size: 22),
                text(String(format: "%.2f s - %.2f s  (%.2f s)", Double(face.startMs) / 1000, Double(face.endMs) / 1000,
                            Double(face.endMs - face.startMs) / 1000), x: barX, y: top + 54, size: 16, color: "0xc8ced6"),
                "drawbox=x=\(barX):y=\(top + 92):w=\(barWidth):h=18:c=0x3a414b:t=fill",
                "drawbox=x=\(startX):y=\(top + 92):w=\(span):h=18:c=\(colour):t=fill",
            ]
            graph.append("\(canvas)\(row.joined(separator: ","))[r\(i)]")
            graph.append("[r\(i)][f\(i)]overlay=x=16:y=\(top + 11):format=rgb[c\(i)]")
            canvas = "[c\(i)]"
        }
        if faces.isEmpty {
            graph.append("\(canvas)\(text("no faces found", x: 16, y: header + 60, size: 22, color: "0xc8ced6"))[empty]")
            canvas = "[empty]"
        }
        args += ["-filter_complex", graph.joined(separator: ";"), "-map", canvas, "-frames:v", "1", output]
        try await ProcessRunner.check("ffmpeg", args)
    }

    /// drawtext's own escaping: backslash, colon, quote and percent are special.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\\\\\"
            case ":": out += "\\:"
            case "'": out += "\u{2019}"
            case "%": out += "\\%"
            default: out.append(c)
            }
        }
        return out
    }
}
