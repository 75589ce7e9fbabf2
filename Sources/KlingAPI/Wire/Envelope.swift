import Foundation

/// Every answer's envelope: `{code, message, request_id, data}`; an error has no `data`.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    public var code: Int
    public var message: String
    public var requestID: String
    public var data: Payload?

    public init(code: Int, message: String, requestID: String, data: Payload?) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case code, message, data
        case requestID = "request_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(Int.self, forKey: .code)
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
        requestID = try c.decodeIDIfPresent(forKey: .requestID) ?? ""
        data = try c.decodeIfPresent(Payload.self, forKey: .data)
    }
}

/// The `data` of an error answer: nothing.
public struct NoData: Codable, Sendable, Equatable {
    public init() {}
}
