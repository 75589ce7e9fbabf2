import Foundation
import Hummingbird

/// Serves face crops and results from `stateDirectory/files` only. Each path component must
/// be a plain name, so nothing outside that directory can be named.
enum FileServer {
    static func serve(_ relative: String, head: Bool, root: URL, context: some RequestContext) async throws -> Response {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, ["sessions", "tasks"].contains(parts[0]),
              parts.allSatisfy({ part in
                  !part.isEmpty && part != "." && part != ".."
                      && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
              })
        else { throw APIFailure.notFound("no such file: /files/\(relative)") }
        let file = root.appendingPathComponent(parts.joined(separator: "/")).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? NSNumber
        else { throw APIFailure.notFound("no such file: /files/\(relative)") }

        var headers = HTTPFields()
        headers[.contentType] = contentType(file)
        headers[.contentLength] = String(size.int64Value)
        if head { return Response(status: .ok, headers: headers, body: .init()) }
        let body = try await FileIO().loadFile(path: file, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "mp4": "video/mp4"
        default: "application/octet-stream"
        }
    }
}
