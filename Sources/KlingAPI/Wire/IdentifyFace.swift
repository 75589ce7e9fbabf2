import Foundation

/// `POST {prefix}/videos/identify-face`: exactly one of `video_id` / `video_url`.
public struct IdentifyFaceRequest: Codable, Sendable, Equatable {
    public var videoID: String?
    public var videoURL: String?

    public init(videoID: String? = nil, videoURL: String? = nil) {
        self.videoID = videoID
        self.videoURL = videoURL
    }

    enum CodingKeys: String, CodingKey {
        case videoID = "video_id"
        case videoURL = "video_url"
    }
}

/// One face of a session and the interval it can be lip-synced in.
public struct FaceData: Codable, Sendable, Equatable {
    public var faceID: String
    public var faceImage: String
    /// ms
    public var startTime: Int
    /// ms
    public var endTime: Int

    public init(faceID: String, faceImage: String, startTime: Int, endTime: Int) {
        self.faceID = faceID
        self.faceImage = faceImage
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case faceID = "face_id"
        case faceImage = "face_image"
        case startTime = "start_time"
        case endTime = "end_time"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        faceID = try c.decodeID(forKey: .faceID)
        faceImage = try c.decodeIfPresent(String.self, forKey: .faceImage) ?? ""
        startTime = Int(try c.decodeMillisIfPresent(forKey: .startTime) ?? 0)
        endTime = Int(try c.decodeMillisIfPresent(forKey: .endTime) ?? 0)
    }
}

/// `data` of identify-face.
public struct IdentifyFaceResult: Codable, Sendable, Equatable {
    public var sessionID: String
    public var faceData: [FaceData]
    /// Kling's own API only; shape undocumented, kept as it came.
    public var finalUnitDeduction: JSONValue?
    public var finalBalanceDeduction: JSONValue?

    public init(sessionID: String, faceData: [FaceData],
                finalUnitDeduction: JSONValue? = nil, finalBalanceDeduction: JSONValue? = nil) {
        self.sessionID = sessionID
        self.faceData = faceData
        self.finalUnitDeduction = finalUnitDeduction
        self.finalBalanceDeduction = finalBalanceDeduction
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case faceData = "face_data"
        case finalUnitDeduction = "final_unit_deduction"
        case finalBalanceDeduction = "final_balance_deduction"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sessionID = try c.decodeID(forKey: .sessionID)
        faceData = try c.decodeIfPresent([FaceData].self, forKey: .faceData) ?? []
        finalUnitDeduction = try c.decodeIfPresent(JSONValue.self, forKey: .finalUnitDeduction)
        finalBalanceDeduction = try c.decodeIfPresent(JSONValue.self, forKey: .finalBalanceDeduction)
    }
}
