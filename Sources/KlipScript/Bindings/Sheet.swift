import Foundation
import KlipMedia

/// `kling.sheet(session, path)`: one image with every face's crop, its face_id and its
/// interval on the video's timeline, so a person can pick the face to lip-sync.
enum ContactSheet {
    struct Face: Sendable {
        var id: String
        var image: String
        var start: Int
        var end: Int
    }

    static let tile = 240
    static let font = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                       "/usr/share/fonts/dejavu/DejaVuSans.ttf"].first { FileManager.default.fileExists(atPath: $0) }

    static func faces(of session: LuaValue) -> [Face]? {
        let list = session["faces"].isTable ? session["faces"] : session["face_data"]
        let faces = list.arrayItems.compactMap { f -> Face? in
            guard let image = f["face_image"].stringValue else { return nil }
            let id = f["face_id"].stringValue ?? f["face_id"].integer.map(String.init) ?? "?"
            return Face(id: id, image: image, start: f["start_time"].integer ?? 0, end: f["end_time"].integer ?? 0)
        }
        return faces.isEmpty ? nil : faces
    }

    static func render(_ faces: [Face], to path: String) async throws {
        let timeline = max(1, faces.map(\.end).max() ?? 1)
        var arguments = ["-nostdin", "-hide_banner", "-v", "error", "-y"]
        var filters: [String] = []
        for (i, face) in faces.enumerated() {
            arguments += ["-i", face.image] // checked by PathPolicy: an http(s) URL or an absolute path
            let x0 = face.start * tile / timeline
            let width = max(2, (face.end - face.start) * tile / timeline)
            var chain = "[\(i):v]scale=\(tile):\(tile):force_original_aspect_ratio=decrease,"
                + "pad=\(tile):\(tile + 64):(ow-iw)/2:(\(tile)-ih)/2:color=0x202428"
            if let font {
                chain += ",drawtext=fontfile=\(font):text='face \(safe(face.id))':x=10:y=\(tile + 6):fontsize=20:fontcolor=white"
                chain += ",drawtext=fontfile=\(font):text='\(face.start)-\(face.end) ms':x=10:y=\(tile + 32):fontsize=15:fontcolor=0xc8c8c8"
            }
            chain += ",drawbox=x=0:y=\(tile + 56):w=\(tile):h=8:color=0x50555c:t=fill"
            chain += ",drawbox=x=\(x0):y=\(tile + 56):w=\(width):h=8:color=0xf0a030:t=fill[t\(i)]"
            filters.append(chain)
        }
        if faces.count == 1 {
            filters.append("[t0]null[out]")
        } else {
            filters.append((0..<faces.count).map { "[t\($0)]" }.joined() + "hstack=inputs=\(faces.count)[out]")
        }
        arguments += ["-filter_complex", filters.joined(separator: ";"), "-map", "[out]", "-frames:v", "1", path]
        let output = try await ProcessRunner.run("ffmpeg", arguments)
        guard output.status == 0 else {
            throw ScriptError(kind: .network, message: "ffmpeg could not make the sheet: \(output.stderr.prefix(400))", field: "path")
        }
    }

    /// Keeps drawtext's syntax out of the label.
    static func safe(_ s: String) -> String {
        String(s.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }.prefix(24))
    }
}

extension LuaRuntime {
    func registerSheet() {
        register("sheet", waits: true) { rt, args in
            guard var faces = ContactSheet.faces(of: args.first ?? .nil) else {
                return .error(.argument("session", "kling.sheet needs a session with faces (what identify returned)"))
            }
            guard let pathArg = args.count > 1 ? args[1].stringValue : nil, !pathArg.isEmpty else {
                return .error(.argument("path", "kling.sheet needs an output image path (.png or .jpg)"))
            }
            let path: String
            do throws(ScriptError) {
                path = try rt.context.paths.checkOutput(pathArg, field: "path")
                // Each crop is read by ffmpeg: the same rule as any other input.
                for i in faces.indices {
                    faces[i].image = try rt.context.paths.check(faces[i].image, field: "session.faces[\(i + 1)].face_image")
                }
            } catch { return .error(error) }
            let checked = faces
            return .wait {
                do {
                    try await ContactSheet.render(checked, to: path)
                    return .values([.string(pathArg)])
                } catch let e as ScriptError {
                    return .error(e)
                } catch {
                    if Task.isCancelled { return .error(.cancelled("sheet cancelled")) }
                    return .error(ScriptError(kind: .validation, message: "\(error)", field: "path"))
                }
            }
        }
    }
}
