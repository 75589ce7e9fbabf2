import Foundation
import Hummingbird
import KlingAPI
import KlipEngine

extension Service {
    /// `POST videos/identify-face`, synchronous as Kling's: fetch, validate against Kling's
    /// video limits, find the faces, keep a private copy of the video for the session's tasks.
    func identifyFace(_ request: Request) async throws -> Response {
        let data = try await RequestDecoding.body(request, limit: config.maxBodyBytes)
        let body = try RequestDecoding.decode(IdentifyFaceRequest.self, from: data)
        do { try Preflight.check(body) } catch { throw APIFailure.invalidParameter(error) }
        if let id = body.videoID?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
            throw APIFailure.invalidParameter("video_id", "the emulator has no Kling-generated videos, so no video_id can be found; give video_url instead")
        }
        let reference = try media.reference(body.videoURL ?? "", field: "video_url")

        let sessionID = IDs.make()
        let privateDir = layout.sessionPrivate(sessionID)
        let publicDir = layout.sessionFiles(sessionID)
        var keep = false
        defer {
            if !keep {
                try? FileManager.default.removeItem(at: privateDir)
                try? FileManager.default.removeItem(at: publicDir)
            }
        }
        try FileManager.default.createDirectory(at: privateDir, withIntermediateDirectories: true)

        let kling = KlingLimits.videoMaxBytes
        let limit = min(kling, config.maxDownloadBytes)
        let limitText = limit == kling ? "100 MB (Kling's video limit)" : "\(limit) bytes (the emulator's download limit)"
        let fetched = try await media.fetch(reference, field: "video_url", limit: limit, limitText: limitText,
                                            into: privateDir, baseName: "download")
        let facts: VideoFacts
        do {
            facts = try await VideoValidator.check(videoPath: fetched)
        } catch {
            throw APIFailure.invalidParameter("video_url", Self.engineMessage(error))
        }
        // The session's tasks render from a private copy, so a later change to the source
        // (or a deleted download) cannot change or break them.
        let ext = MediaInput.fileExtension(fetched)
        let videoPath = privateDir.appendingPathComponent("video.\(ext == "bin" ? "mp4" : ext)").path
        if case .local = reference {
            try FileManager.default.copyItem(atPath: fetched, toPath: videoPath)
        } else {
            try FileManager.default.moveItem(atPath: fetched, toPath: videoPath)
        }

        let tracks: [FaceTrack]
        do {
            tracks = try await faces.identify(videoPath: videoPath, cropsDirectory: publicDir)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw APIFailure.invalidParameter("video_url", Self.engineMessage(error))
        }

        let now = IDs.nowMs()
        let lifetime = config.sessionLifetime.components
        let lifetimeMs = lifetime.seconds * 1000 + lifetime.attoseconds / 1_000_000_000_000_000
        let tracksJSON = String(decoding: try JSONEncoder().encode(tracks), as: UTF8.self)
        let session = SessionRecord(id: sessionID, createdAt: now, expiresAt: now + lifetimeMs, videoPath: videoPath,
                                    durationMs: facts.durationMs, width: facts.width, height: facts.height,
                                    tracksJSON: tracksJSON)
        try await store.insert(session)
        keep = true
        logger.info("session created", metadata: ["session_id": "\(sessionID)", "faces": "\(tracks.count)"])
        return Reply.success(IdentifyFaceResult(sessionID: sessionID, faceData: WireMapping.faces(session, base: base(for: request))))
    }

    static func engineMessage(_ error: any Error) -> String {
        if let engine = error as? EngineError { return engine.description }
        return "\(error)"
    }
}
