import Foundation
import KlingAPI
import Testing

/// Examples shaped as Kling documents them; each must decode and re-encode field for field.
enum WireExamples {
    static let identifyRequest = #"{"video_url":"https://example.com/clip.mp4"}"#
    static let identifyResponse = #"""
    {"code":0,"message":"SUCCEED","request_id":"c1e4f5b2-0000-4bd0-9a4a-1d3f6e6b7c8d",
     "data":{"session_id":"e4a2ce1e-8b55-4b3f-a1c8-3d2c4e5f6a7b",
             "final_unit_deduction":"0.05","final_balance_deduction":"1.2",
             "face_data":[{"face_id":"0","face_image":"https://cdn.example.com/face0.png","start_time":0,"end_time":5200},
                          {"face_id":"1","face_image":"https://cdn.example.com/face1.png","start_time":1200,"end_time":4000}]}}
    """#
    static let createRequest = #"""
    {"session_id":"e4a2ce1e-8b55-4b3f-a1c8-3d2c4e5f6a7b",
     "face_choose":[{"face_id":"0","sound_file":"https://example.com/voice.mp3","sound_start_time":0,
                     "sound_end_time":4000,"sound_insert_time":500,"sound_volume":1,"original_audio_volume":0.3}],
     "external_task_id":"clip-07","callback_url":"https://example.com/hook","watermark_info":{"enabled":false}}
    """#
    static let createResponse = #"""
    {"code":0,"message":"SUCCEED","request_id":"a7",
     "data":{"task_id":"842250903629086785","task_status":"submitted",
             "task_info":{"external_task_id":"clip-07"},"created_at":1722769557708,"updated_at":1722769557708}}
    """#
    static let queryResponse = #"""
    {"code":0,"message":"SUCCEED","request_id":"b8",
     "data":{"task_id":"842250903629086785","task_status":"succeed","task_status_msg":"",
             "task_info":{"external_task_id":"clip-07"},
             "task_result":{"videos":[{"id":"863178406584811543","url":"https://cdn.example.com/out.mp4","duration":"5.2"}]},
             "watermark_url":"https://cdn.example.com/out-wm.mp4",
             "final_unit_deduction":"5","final_balance_deduction":"0",
             "created_at":1722769557708,"updated_at":1722769647708}}
    """#
    static let listResponse = #"""
    {"code":0,"message":"SUCCEED","request_id":"c9",
     "data":[{"task_id":"1","task_status":"processing","created_at":1,"updated_at":2},
             {"task_id":"2","task_status":"failed","task_status_msg":"no face in range","created_at":3,"updated_at":4}]}
    """#
    static let callbackBody = #"""
    {"task_id":"842250903629086785","task_status":"succeed","task_status_msg":"","created_at":1722769557708,
     "updated_at":1722769647708,"task_info":{"external_task_id":"clip-07"},
     "task_result":{"videos":[{"id":"863178406584811543","url":"https://cdn.example.com/out.mp4","duration":"5.2"}]}}
    """#
    static let errorResponse = #"{"code":1201,"message":"face_choose[0].sound_end_time invalid","request_id":"d0"}"#
}

func jsonObject(_ text: String) throws -> NSDictionary {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
}

func jsonObject(_ data: Data) throws -> NSObject {
    try #require(JSONSerialization.jsonObject(with: data) as? NSObject)
}

func roundTrip<T: Codable>(_ type: T.Type, _ text: String) throws -> (T, NSObject, NSObject) {
    let value = try JSONDecoder().decode(T.self, from: Data(text.utf8))
    let again = try JSONEncoder().encode(value)
    return (value, try jsonObject(Data(text.utf8)), try jsonObject(again))
}

@Suite struct WireTests {
    @Test func identifyRequestRoundTrips() throws {
        let (value, original, again) = try roundTrip(IdentifyFaceRequest.self, WireExamples.identifyRequest)
        #expect(value.videoURL == "https://example.com/clip.mp4")
        #expect(value.videoID == nil)
        #expect(original == again)
    }

    @Test func identifyResponseRoundTrips() throws {
        let (value, original, again) = try roundTrip(Envelope<IdentifyFaceResult>.self, WireExamples.identifyResponse)
        let data = try #require(value.data)
        #expect(data.faceData.map(\.faceID) == ["0", "1"])
        #expect(data.faceData[1].startTime == 1200)
        #expect(data.finalUnitDeduction == .string("0.05"))
        #expect(original == again)
    }

    @Test func createRequestRoundTrips() throws {
        let (value, original, again) = try roundTrip(LipSyncRequest.self, WireExamples.createRequest)
        #expect(value.faceChoose[0].originalAudioVolume == 0.3)
        #expect(value.watermarkInfo == WatermarkInfo(enabled: false))
        #expect(original == again)
    }

    @Test func createQueryListAndCallbackRoundTrip() throws {
        let (created, o1, a1) = try roundTrip(Envelope<LipSyncTask>.self, WireExamples.createResponse)
        #expect(created.data?.externalTaskID == "clip-07")
        #expect(o1 == a1)
        let (queried, o2, a2) = try roundTrip(Envelope<LipSyncTask>.self, WireExamples.queryResponse)
        #expect(queried.data?.taskResult?.videos.first?.duration == "5.2")
        #expect(queried.data?.watermarkURL == "https://cdn.example.com/out-wm.mp4")
        #expect(o2 == a2)
        let (listed, o3, a3) = try roundTrip(Envelope<[LipSyncTask]>.self, WireExamples.listResponse)
        #expect(listed.data?.map(\.taskStatus) == [.processing, .failed])
        #expect(o3 == a3)
        let (callback, o4, a4) = try roundTrip(LipSyncTask.self, WireExamples.callbackBody)
        #expect(callback.taskStatus == .succeed)
        #expect(o4 == a4)
    }

    @Test func errorEnvelopeHasNoData() throws {
        let (value, original, again) = try roundTrip(Envelope<LipSyncTask>.self, WireExamples.errorResponse)
        #expect(value.code == 1201)
        #expect(value.data == nil)
        #expect(original == again)
    }

    @Test func numericIDsBecomeExactStrings() throws {
        // 2^63 - 1 would lose digits through a Double.
        let text = #"{"task_id":9223372036854775807,"task_status":"submitted","task_info":{"external_task_id":12}}"#
        let task = try JSONDecoder().decode(LipSyncTask.self, from: Data(text.utf8))
        #expect(task.taskID == "9223372036854775807")
        #expect(task.externalTaskID == "12")
        let face = try JSONDecoder().decode(FaceData.self, from: Data(#"{"face_id":0,"face_image":"x","start_time":0,"end_time":2500}"#.utf8))
        #expect(face.faceID == "0")
    }

    @Test func unknownFieldsAndStatusesAreTolerated() throws {
        let text = #"{"task_id":"7","task_status":"queued_for_review","brand_new_field":{"x":1}}"#
        let task = try JSONDecoder().decode(LipSyncTask.self, from: Data(text.utf8))
        #expect(task.taskStatus.rawValue == "queued_for_review")
        #expect(!task.taskStatus.isFinal)
    }
}
