import Foundation

/// What is known about a request's inputs beyond its own fields. Each rule that needs
/// a fact is checked only when the fact is known; the rest are always checked.
public struct PreflightFacts: Sendable, Equatable {
    /// The audio behind `sound_file`, when it is a local file.
    public var audio: AudioFacts?
    /// The session's faces, when this client identified it.
    public var faces: [FaceData]?
    /// The video's duration, ms, when known.
    public var videoDurationMs: Int?

    public init(audio: AudioFacts? = nil, faces: [FaceData]? = nil, videoDurationMs: Int? = nil) {
        self.audio = audio
        self.faces = faces
        self.videoDurationMs = videoDurationMs
    }
}

public struct AudioFacts: Sendable, Equatable {
    public var durationMs: Int
    public var bytes: Int
    /// Lower-case extension of the file actually sent ("mp3", "wav", ...).
    public var format: String
    public var name: String

    public init(durationMs: Int, bytes: Int, format: String, name: String) {
        self.durationMs = durationMs
        self.bytes = bytes
        self.format = format
        self.name = name
    }
}

/// Every documented rule that can be checked before sending. Each violation names the
/// field (`face_choose[0].sound_end_time`) and the rule, so a user can fix the input.
public enum Preflight {
    public static func check(_ request: IdentifyFaceRequest) throws(KlingError) {
        let id = request.videoID?.trimmingCharacters(in: .whitespaces) ?? ""
        let url = request.videoURL?.trimmingCharacters(in: .whitespaces) ?? ""
        if id.isEmpty && url.isEmpty {
            throw .validation("video_url", "give exactly one of video_id or video_url; both are empty")
        }
        if !id.isEmpty && !url.isEmpty {
            throw .validation("video_url", "give exactly one of video_id or video_url, not both")
        }
    }

    public static func check(_ request: LipSyncRequest, facts: PreflightFacts = .init()) throws(KlingError) {
        if request.sessionID.trimmingCharacters(in: .whitespaces).isEmpty {
            throw .validation("session_id", "is required")
        }
        guard request.faceChoose.count == 1 else {
            throw .validation("face_choose", "must have exactly one element (Kling lip-syncs one face per task); it has \(request.faceChoose.count)")
        }
        if let ext = request.externalTaskID, ext.isEmpty {
            throw .validation("external_task_id", "must not be empty when given")
        }
        if let callback = request.callbackURL {
            guard let url = URL(string: callback), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw .validation("callback_url", "must be an http(s) URL")
            }
        }
        try check(request.faceChoose[0], at: "face_choose[0]", facts: facts)
    }

    static func check(_ face: FaceChoose, at path: String, facts: PreflightFacts) throws(KlingError) {
        if face.faceID.isEmpty { throw .validation("\(path).face_id", "is required") }

        let hasAudioID = !(face.audioID ?? "").isEmpty
        let hasSound = !(face.soundFile ?? "").isEmpty
        if hasAudioID == hasSound {
            throw .validation("\(path).sound_file", hasSound
                ? "give exactly one of audio_id or sound_file, not both"
                : "give exactly one of audio_id or sound_file; both are empty")
        }
        // A file:// reference is for an emulator with media roots, which checks it itself.
        // Only the prefix is lowered: the sound may be 275 KB of Base64, on every create.
        if let sound = face.soundFile, hasSound, !isURL(sound), sound.prefix(7).lowercased() != "file://" {
            if sound.hasPrefix("data:") {
                throw .validation("\(path).sound_file", "Base64 must not carry a data: prefix")
            }
            if !SoundFileMemo.isBase64(sound) {
                throw .validation("\(path).sound_file", "is neither an http(s) URL nor valid Base64")
            }
        }

        for (name, volume) in [("sound_volume", face.soundVolume), ("original_audio_volume", face.originalAudioVolume)] {
            if let volume, !(volume.isFinite && KlingLimits.volumeRange.contains(volume)) {
                throw .validation("\(path).\(name)", "must be within [0, 2]; got \(volume)")
            }
        }
        if face.soundStartTime < 0 {
            throw .validation("\(path).sound_start_time", "must be >= 0 ms; got \(face.soundStartTime)")
        }
        let clip = face.soundEndTime - face.soundStartTime
        if clip < KlingLimits.minClipMs {
            throw .validation("\(path).sound_end_time", "sound_end_time - sound_start_time must be >= \(KlingLimits.minClipMs) ms; got \(clip) ms")
        }
        if face.soundInsertTime < 0 {
            throw .validation("\(path).sound_insert_time", "must be >= 0 ms; got \(face.soundInsertTime)")
        }

        if let audio = facts.audio {
            try check(audio, at: "\(path).sound_file")
            if face.soundEndTime > audio.durationMs {
                throw .validation("\(path).sound_end_time", "\(face.soundEndTime) ms is past the end of the audio (\(audio.name) is \(audio.durationMs) ms long)")
            }
        }

        let inserted = face.insertedRange
        if let faces = facts.faces {
            guard let chosen = faces.first(where: { $0.faceID == face.faceID }) else {
                let known = faces.map { "\"\($0.faceID)\"" }.joined(separator: ", ")
                throw .validation("\(path).face_id", "\"\(face.faceID)\" is not a face of this session (faces: \(known.isEmpty ? "none" : known))")
            }
            let overlap = min(inserted.upperBound, chosen.endTime) - max(inserted.lowerBound, chosen.startTime)
            if overlap < KlingLimits.minFaceOverlapMs {
                throw .validation("\(path).sound_insert_time", "the inserted audio [\(inserted.lowerBound), \(inserted.upperBound)] ms must overlap face \"\(chosen.faceID)\"'s interval [\(chosen.startTime), \(chosen.endTime)] ms by at least \(KlingLimits.minFaceOverlapMs) ms; it overlaps \(max(0, overlap)) ms")
            }
        }
        if let video = facts.videoDurationMs, inserted.upperBound > video {
            throw .validation("\(path).sound_insert_time", "the inserted audio ends at \(inserted.upperBound) ms, after the video's end (\(video) ms)")
        }
    }

    /// Audio rules: accepted format, size, duration.
    public static func check(_ audio: AudioFacts, at field: String) throws(KlingError) {
        if !KlingLimits.audioExtensions.contains(audio.format) {
            throw .validation(field, "\(audio.name): format \(audio.format) is not accepted (mp3, wav, m4a, aac)")
        }
        if audio.bytes > KlingLimits.audioMaxBytes {
            throw .validation(field, "\(audio.name) is \(audio.bytes) bytes; the limit is 5 MB")
        }
        if !KlingLimits.audioDurationMs.contains(audio.durationMs) {
            throw .validation(field, "\(audio.name) is \(KlingLimits.seconds(audio.durationMs)) long; audio must be 2 to 60 s")
        }
    }

    public static func checkPage(_ page: Int, size: Int) throws(KlingError) {
        if !KlingLimits.pageNum.contains(page) { throw .validation("pageNum", "must be 1 to 1000; got \(page)") }
        if !KlingLimits.pageSize.contains(size) { throw .validation("pageSize", "must be 1 to 500; got \(size)") }
    }

    static func isURL(_ s: String) -> Bool {
        let lower = s.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }
}
