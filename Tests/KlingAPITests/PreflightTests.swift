import Foundation
import KlingAPI
import Testing

/// One case per documented rule: a request that breaks exactly that rule, and the field
/// the error must name. A valid request passes, so each case fails only because of its rule.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var field: String
    var facts: PreflightFacts = .init()
    var change: @Sendable (inout LipSyncRequest) -> Void = { _ in }
    var testDescription: String { rule }
}

let face = FaceData(faceID: "0", faceImage: "x", startTime: 1000, endTime: 6000)
let wav = AudioFacts(durationMs: 5000, bytes: 100_000, format: "wav", name: "voice.wav")

func validRequest() -> LipSyncRequest {
    LipSyncRequest(sessionID: "s1", faceChoose: [FaceChoose(
        faceID: "0", soundFile: Data("RIFF....WAVE".utf8).base64EncodedString(),
        soundStartTime: 0, soundEndTime: 4000, soundInsertTime: 1000)])
}

let ruleCases: [RuleCase] = [
    RuleCase(rule: "session_id is required", field: "session_id") { $0.sessionID = "" },
    RuleCase(rule: "face_choose must not be empty", field: "face_choose") { $0.faceChoose = [] },
    RuleCase(rule: "face_choose has exactly one element", field: "face_choose") { $0.faceChoose.append($0.faceChoose[0]) },
    RuleCase(rule: "face_id is required", field: "face_choose[0].face_id") { $0.faceChoose[0].faceID = "" },
    RuleCase(rule: "one of audio_id/sound_file: neither", field: "face_choose[0].sound_file") { $0.faceChoose[0].soundFile = nil },
    RuleCase(rule: "one of audio_id/sound_file: both", field: "face_choose[0].sound_file") { $0.faceChoose[0].audioID = "a1" },
    RuleCase(rule: "Base64 without a data: prefix", field: "face_choose[0].sound_file") { $0.faceChoose[0].soundFile = "data:audio/wav;base64,UklGRg==" },
    RuleCase(rule: "sound_file is a URL or Base64", field: "face_choose[0].sound_file") { $0.faceChoose[0].soundFile = "voice.wav" },
    RuleCase(rule: "sound_volume <= 2", field: "face_choose[0].sound_volume") { $0.faceChoose[0].soundVolume = 2.01 },
    RuleCase(rule: "sound_volume >= 0", field: "face_choose[0].sound_volume") { $0.faceChoose[0].soundVolume = -0.1 },
    RuleCase(rule: "original_audio_volume in [0, 2]", field: "face_choose[0].original_audio_volume") { $0.faceChoose[0].originalAudioVolume = 3 },
    RuleCase(rule: "sound_start_time >= 0", field: "face_choose[0].sound_start_time") { $0.faceChoose[0].soundStartTime = -1 },
    RuleCase(rule: "end - start >= 2000 ms", field: "face_choose[0].sound_end_time") { $0.faceChoose[0].soundEndTime = 1999 },
    RuleCase(rule: "sound_insert_time >= 0", field: "face_choose[0].sound_insert_time") { $0.faceChoose[0].soundInsertTime = -5 },
    RuleCase(rule: "external_task_id not empty", field: "external_task_id") { $0.externalTaskID = "" },
    RuleCase(rule: "callback_url is http(s)", field: "callback_url") { $0.callbackURL = "ftp://example.com/x" },
    RuleCase(rule: "end <= the audio's duration", field: "face_choose[0].sound_end_time", facts: .init(audio: wav)) { $0.faceChoose[0].soundEndTime = 5001 },
    RuleCase(rule: "audio at most 5 MB", field: "face_choose[0].sound_file",
             facts: .init(audio: AudioFacts(durationMs: 5000, bytes: 5 * 1024 * 1024 + 1, format: "wav", name: "big.wav"))),
    RuleCase(rule: "audio at least 2 s", field: "face_choose[0].sound_file",
             facts: .init(audio: AudioFacts(durationMs: 1900, bytes: 1000, format: "wav", name: "short.wav"))),
    RuleCase(rule: "audio at most 60 s", field: "face_choose[0].sound_file",
             facts: .init(audio: AudioFacts(durationMs: 60001, bytes: 1000, format: "mp3", name: "long.mp3"))),
    RuleCase(rule: "audio format accepted", field: "face_choose[0].sound_file",
             facts: .init(audio: AudioFacts(durationMs: 5000, bytes: 1000, format: "ogg", name: "voice.ogg"))),
    RuleCase(rule: "face_id is a face of the session", field: "face_choose[0].face_id", facts: .init(faces: [face])) { $0.faceChoose[0].faceID = "7" },
    RuleCase(rule: "2000 ms overlap with the face interval", field: "face_choose[0].sound_insert_time", facts: .init(faces: [face])) {
        $0.faceChoose[0].soundInsertTime = 4500  // [4500, 8500] overlaps [1000, 6000] by 1500 ms
    },
    RuleCase(rule: "the clip ends within the video", field: "face_choose[0].sound_insert_time", facts: .init(videoDurationMs: 4500)) {
        $0.faceChoose[0].soundInsertTime = 1000  // ends at 5000
    },
]

@Suite struct PreflightTests {
    @Test func theValidRequestPassesWithEveryFact() throws {
        try Preflight.check(validRequest(), facts: PreflightFacts(audio: wav, faces: [face], videoDurationMs: 10_000))
    }

    @Test(arguments: ruleCases)
    func eachRuleNamesItsField(_ rule: RuleCase) {
        var request = validRequest()
        rule.change(&request)
        do {
            try Preflight.check(request, facts: rule.facts)
            Issue.record("\(rule.rule): accepted")
        } catch {
            #expect(error.kind == .validation)
            #expect(error.field == rule.field, "\(rule.rule): \(error)")
            #expect(error.description.contains(rule.field))
        }
    }

    @Test func overlapOfExactly2000msIsAccepted() throws {
        var request = validRequest()
        request.faceChoose[0].soundInsertTime = 4000  // [4000, 8000] ∩ [1000, 6000] = 2000 ms
        try Preflight.check(request, facts: PreflightFacts(faces: [face]))
    }

    @Test func identifyNeedsExactlyOneSource() {
        #expect(throws: KlingError.validation("video_url", "give exactly one of video_id or video_url; both are empty")) {
            try Preflight.check(IdentifyFaceRequest())
        }
        #expect { try Preflight.check(IdentifyFaceRequest(videoID: "v", videoURL: "https://x/y.mp4")) } throws: {
            ($0 as? KlingError)?.field == "video_url"
        }
        #expect(throws: Never.self) { try Preflight.check(IdentifyFaceRequest(videoID: "v")) }
    }

    @Test func pageLimits() {
        #expect { try Preflight.checkPage(0, size: 30) } throws: { ($0 as? KlingError)?.field == "pageNum" }
        #expect { try Preflight.checkPage(1001, size: 30) } throws: { ($0 as? KlingError)?.field == "pageNum" }
        #expect { try Preflight.checkPage(1, size: 501) } throws: { ($0 as? KlingError)?.field == "pageSize" }
        #expect(throws: Never.self) { try Preflight.checkPage(1000, size: 500) }
    }
}
