/// The create body, written the way the synthesized `Encodable` would (keys in declaration
/// order, absent optionals left out) but with the sound copied whole: see `WireJSON`.
extension LipSyncRequest: WireJSONEncodable {
    public var wireSizeHint: Int {
        faceChoose.reduce(512) { $0 + 256 + ($1.soundFile?.utf8.count ?? 0) } + (callbackURL?.utf8.count ?? 0)
    }

    public func write(to json: inout WireJSON) throws(KlingError) {
        try json.object { (json) throws(KlingError) in
            json.key("session_id")
            json.string(sessionID)
            json.key("face_choose")
            try json.array(faceChoose.indices) { (json, i) throws(KlingError) in
                try faceChoose[i].write(to: &json, at: "face_choose[\(i)]")
            }
            if let externalTaskID {
                json.key("external_task_id")
                json.string(externalTaskID)
            }
            if let callbackURL {
                json.key("callback_url")
                json.string(callbackURL)
            }
            if let watermarkInfo {
                json.key("watermark_info")
                try json.object { (json) throws(KlingError) in
                    json.key("enabled")
                    json.bool(watermarkInfo.enabled)
                }
            }
        }
    }
}

extension FaceChoose {
    func write(to json: inout WireJSON, at path: String) throws(KlingError) {
        try json.object { (json) throws(KlingError) in
            json.key("face_id")
            json.string(faceID)
            if let audioID {
                json.key("audio_id")
                json.string(audioID)
            }
            if let soundFile {
                json.key("sound_file")
                json.string(soundFile)
            }
            json.key("sound_start_time")
            json.int(soundStartTime)
            json.key("sound_end_time")
            json.int(soundEndTime)
            json.key("sound_insert_time")
            json.int(soundInsertTime)
            if let soundVolume {
                json.key("sound_volume")
                try json.double(soundVolume, field: "\(path).sound_volume")
            }
            if let originalAudioVolume {
                json.key("original_audio_volume")
                try json.double(originalAudioVolume, field: "\(path).original_audio_volume")
            }
        }
    }
}
