import Foundation

/// `POST {prefix}/videos/advanced-lip-sync`.
public struct LipSyncRequest: Codable, Sendable, Equatable {
    public var sessionID: String
    public var faceChoose: [FaceChoose]
    public var externalTaskID: String?
    public var callbackURL: String?
    /// Kling's own API only.
    public var watermarkInfo: WatermarkInfo?

    public init(sessionID: String, faceChoose: [FaceChoose], externalTaskID: String? = nil,
                callbackURL: String? = nil, watermarkInfo: WatermarkInfo? = nil) {
        self.sessionID = sessionID
        self.faceChoose = faceChoose
        self.externalTaskID = externalTaskID
        self.callbackURL = callbackURL
        self.watermarkInfo = watermarkInfo
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case faceChoose = "face_choose"
        case externalTaskID = "external_task_id"
        case callbackURL = "callback_url"
        case watermarkInfo = "watermark_info"
    }
}

/// One element of `face_choose`: which face speaks which audio, and where.
public struct FaceChoose: Codable, Sendable, Equatable {
    public var faceID: String
    public var audioID: String?
    /// Base64 of the audio bytes (no `data:` prefix) or a URL.
    public var soundFile: String?
    public var soundStartTime: Int
    public var soundEndTime: Int
    public var soundInsertTime: Int
    public var soundVolume: Double?
    public var originalAudioVolume: Double?

    public init(faceID: String, audioID: String? = nil, soundFile: String? = nil,
                soundStartTime: Int, soundEndTime: Int, soundInsertTime: Int,
                soundVolume: Double? = nil, originalAudioVolume: Double? = nil) {
        self.faceID = faceID
        self.audioID = audioID
        self.soundFile = soundFile
        self.soundStartTime = soundStartTime
        self.soundEndTime = soundEndTime
        self.soundInsertTime = soundInsertTime
        self.soundVolume = soundVolume
        self.originalAudioVolume = originalAudioVolume
    }

    enum CodingKeys: String, CodingKey {
        case faceID = "face_id"
        case audioID = "audio_id"
        case soundFile = "sound_file"
        case soundStartTime = "sound_start_time"
        case soundEndTime = "sound_end_time"
        case soundInsertTime = "sound_insert_time"
        case soundVolume = "sound_volume"
        case originalAudioVolume = "original_audio_volume"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        faceID = try c.decodeID(forKey: .faceID)
        audioID = try c.decodeIDIfPresent(forKey: .audioID)
        soundFile = try c.decodeIfPresent(String.self, forKey: .soundFile)
        soundStartTime = try c.decode(Int.self, forKey: .soundStartTime)
        soundEndTime = try c.decode(Int.self, forKey: .soundEndTime)
        soundInsertTime = try c.decode(Int.self, forKey: .soundInsertTime)
        soundVolume = try c.decodeIfPresent(Double.self, forKey: .soundVolume)
        originalAudioVolume = try c.decodeIfPresent(Double.self, forKey: .originalAudioVolume)
    }

    /// The inserted range on the video's timeline, ms.
    public var insertedRange: ClosedRange<Int> {
        soundInsertTime...(soundInsertTime + max(0, soundEndTime - soundStartTime))
    }
}

public struct WatermarkInfo: Codable, Sendable, Equatable {
    public var enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }
}
