import Foundation
import KlipMedia

extension KlingClient {
    /// Draws a session's faces (crops, ids, intervals on the video's timeline) into one PNG.
    /// The crops are downloaded from their `face_image` URLs, so this works on Kling too.
    @discardableResult
    public func contactSheet(_ session: IdentifyFaceResult, title: String? = nil, to path: String) async throws(KlingError) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-sheet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var faces: [ContactSheet.Face] = []
        for (i, face) in session.faceData.enumerated() {
            let image = dir.appendingPathComponent("face-\(i).img").path
            try await download(face.faceImage, to: image)
            faces.append(ContactSheet.Face(faceID: face.faceID, imagePath: image, startMs: face.startTime, endMs: face.endTime))
        }
        let duration = await sessions.entry(session.sessionID)?.videoDurationMs ?? 0
        let output = URL(fileURLWithPath: path).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await ContactSheet.render(faces: faces, durationMs: duration,
                                          title: title ?? "session \(session.sessionID): \(faces.count) face(s)", to: output)
        } catch {
            throw .validation("path", "\(path): the contact sheet could not be written: \(error)")
        }
        return output
    }
}
