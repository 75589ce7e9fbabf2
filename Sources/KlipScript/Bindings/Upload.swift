import Foundation
import KlingAPI
import KlipUpload

/// The Swift half of uploads; the prelude composes them with `kling.uploader`:
/// - `file_info(path)`: `{size, sha256, kind}` for the hook;
/// - `upload_builtin(path)`: the built-in S3 upload, the presigned URL;
/// - `identify_uploaded(url, path)`: identify by the uploaded URL.
extension LuaRuntime {
    func registerUploadBindings() {
        register("file_info", waits: true) { rt, args in
            let path: String
            do throws(ScriptError) { path = try Self.localPath(args.first ?? .nil, rt) } catch { return .error(error) }
            return .wait {
                do {
                    let digest = try await FileDigest.of(path)
                    return .values([.record([("size", .int(digest.size)), ("sha256", .string(digest.sha256)),
                                             ("kind", .string(Self.mediaKind(path)))])])
                } catch let error as UploadError {
                    return .error(ScriptError(error))
                } catch {
                    return .error(ScriptError(kind: .validation, message: "\(error)", field: "path"))
                }
            }
        }
        register("upload_builtin", waits: true) { rt, args in
            let path: String
            do throws(ScriptError) { path = try Self.localPath(args.first ?? .nil, rt) } catch { return .error(error) }
            let context = rt.context
            return .wait {
                do {
                    guard let uploader = try await context.backend?.uploader() else {
                        return .error(ScriptError(kind: .validation, message: "no uploader is configured: set KLIP_UPLOAD=s3://BUCKET/PREFIX (or --upload) with AWS credentials, or kling.uploader = function(path, info) ... return url end", field: "kling.uploader"))
                    }
                    let uploaded = try await uploader.upload(path: path)
                    context.diagnostics("[\(context.scriptName)] \(path): \(uploaded.transferred ? "uploaded" : "already uploaded") as \(uploaded.key)")
                    return .values([.string(uploaded.url)])
                } catch let error as UploadError {
                    return .error(ScriptError(error))
                } catch {
                    return .error(ScriptError(kind: .network, message: "\(error)"))
                }
            }
        }
        register(IdentifyUploaded.self)
    }

    static func localPath(_ value: LuaValue, _ rt: LuaRuntime) throws(ScriptError) -> String {
        guard let text = value.stringValue, !text.isEmpty else {
            throw .argument("path", "needs a local file path; got a \(value.typeName)")
        }
        return try rt.context.paths.check(text, field: "path")
    }

    /// `"audio"` for the audio containers Kling takes for sound_file, otherwise `"video"`.
    static func mediaKind(_ path: String) -> String {
        ["wav", "mp3", "m4a", "aac", "flac", "ogg", "oga", "opus"].contains((path as NSString).pathExtension.lowercased()) ? "audio" : "video"
    }
}

/// `identify` of a local video that was uploaded: the URL is what is sent.
struct IdentifyUploaded: ServiceBinding {
    static let name = "identify_uploaded"
    let url: String

    init(arguments: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        guard let url = arguments.first?.stringValue, PathPolicy.isURL(url) else {
            throw .argument("kling.uploader", "an uploader must return an http(s) URL; got \(arguments.first.map { $0.stringValue ?? "a \($0.typeName)" } ?? "nothing")")
        }
        self.url = url
    }

    func perform(on service: any LipSyncService, context: ScriptContext) async throws -> [LuaValue] {
        let result = try await service.identify(IdentifyFaceRequest(videoURL: url))
        return [Tables.session(result)]
    }
}

extension ScriptError {
    init(_ e: UploadError) {
        let kind: Kind = switch e.kind {
        case .configuration, .file: .validation
        case .storage, .network: .network
        }
        self.init(kind: kind, message: e.description, field: e.kind == .file ? "path" : e.field)
    }
}
