import Foundation
import KlingAPI

/// `lipsync{...}` read into a request: the flattened form or the raw API body.
struct LipSyncSpec: Sendable {
    var request: LipSyncRequest
    /// A local sound file to probe, convert if needed and send as Base64.
    var localSound: String?

    init(_ spec: LuaValue, paths: PathPolicy) throws(ScriptError) {
        let sessionID: String
        if let s = Self.id(spec["session_id"]) {
            sessionID = s
        } else if let s = Self.id(spec["session"]["session_id"]) {
            sessionID = s
        } else {
            throw .argument("session_id", "lipsync needs session = (what identify returned) or session_id = \"...\"")
        }
        let base = "face_choose[0]"
        let face: LuaValue
        if spec["face_choose"].isTable {
            let items = spec["face_choose"].arrayItems
            guard items.count == 1 else {
                throw .argument("face_choose", "must have exactly one element (Kling lip-syncs one face per task); it has \(items.count)")
            }
            face = items[0]
        } else {
            face = spec
        }
        guard let faceID = Self.id(face["face_id"]) ?? Self.id(face["face"]["face_id"]) else {
            throw .argument("\(base).face_id", "lipsync needs face_id = \"...\" or face = session.faces[i]")
        }
        func time(_ name: String) throws(ScriptError) -> Int {
            let v = face[name]
            if v.isNil { throw .argument("\(base).\(name)", "is required (integer milliseconds)") }
            guard let ms = v.integer else {
                throw .argument("\(base).\(name)", "must be an integer number of milliseconds; got \(v.typeName == "number" ? "a fraction" : "a \(v.typeName)")")
            }
            return ms
        }
        func volume(_ name: String) throws(ScriptError) -> Double? {
            let v = face[name]
            if v.isNil { return nil }
            guard let d = v.number else { throw .argument("\(base).\(name)", "must be a number in [0, 2]") }
            return d
        }
        func string(_ v: LuaValue, _ field: String) throws(ScriptError) -> String? {
            if v.isNil { return nil }
            guard let s = v.stringValue else { throw .argument(field, "must be a string") }
            return s
        }
        var audioID = Self.id(face["audio_id"])
        if audioID == nil { audioID = try string(face["audio_id"], "\(base).audio_id") }
        var sound = try string(face["sound_file"], "\(base).sound_file")
        var local: String?
        if let s = sound, !s.isEmpty, !PathPolicy.isURL(s), !s.hasPrefix("data:"), !Self.isBase64Audio(s) {
            local = try paths.check(s, field: "\(base).sound_file")
            sound = local
        }
        var choose = FaceChoose(faceID: faceID, audioID: audioID, soundFile: sound,
                                soundStartTime: try time("sound_start_time"),
                                soundEndTime: try time("sound_end_time"),
                                soundInsertTime: try time("sound_insert_time"),
                                soundVolume: try volume("sound_volume"),
                                originalAudioVolume: try volume("original_audio_volume"))
        if local != nil { choose.soundFile = "pending" }
        request = LipSyncRequest(sessionID: sessionID, faceChoose: [choose],
                                 externalTaskID: try string(spec["external_task_id"], "external_task_id"),
                                 callbackURL: try string(spec["callback_url"], "callback_url"))
        localSound = local
    }

    static func id(_ v: LuaValue) -> String? {
        switch v {
        case let .string(s) where !s.isEmpty: return s
        case let .int(i): return String(i)
        default: return nil
        }
    }

    /// Base64 the script made itself, decided by content alone (never by whether a file of
    /// that name exists, which would tell a sandboxed script about paths outside): it decodes,
    /// and the bytes begin like an audio file Kling takes (wav, mp3, m4a, aac).
    static func isBase64Audio(_ s: String) -> Bool {
        guard s.utf8.count >= 16, s.utf8.count % 4 == 0 else { return false }
        guard let head = Data(base64Encoded: String(decoding: s.utf8.prefix(16), as: UTF8.self)) else { return false }
        let b = [UInt8](head)
        guard Data(base64Encoded: s) != nil else { return false }
        if b.starts(with: Array("RIFF".utf8)) || b.starts(with: Array("ID3".utf8)) || b.starts(with: Array("ADIF".utf8)) { return true }
        if b.count >= 2, b[0] == 0xFF, b[1] & 0xE0 == 0xE0 { return true } // MPEG audio / ADTS frame sync
        return b.count >= 8 && Array(b[4..<8]) == Array("ftyp".utf8)
    }
}
