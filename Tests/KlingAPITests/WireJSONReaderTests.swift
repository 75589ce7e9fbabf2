import Foundation
@testable import KlingAPI
import Testing

/// `WireJSONReader` reads an answer as `JSONDecoder` would, or declines: never a value
/// `JSONDecoder` would not give, on the answers Kling sends and on broken variants of them.
@Suite struct WireJSONReaderTests {
    typealias TaskPage = Envelope<[LipSyncTask]>

    static let task = #"""
    {"task_id":"831073165516059205","task_status":"succeed","task_status_msg":"","task_info":{"external_task_id":"clip-07"},
     "task_result":{"videos":[{"id":"v-1","url":"https:\/\/cdn.example.com\/a.mp4?x=1&y=2","duration":"5.03"}]},
     "created_at":1764669600123,"updated_at":1764669605123,"watermark_url":"","final_unit_deduction":"1.5",
     "final_balance_deduction":{"unit":"credits","n":[1,2,null,true]},"extra":{"ignored":[{"deep":[]}]}}
    """#

    /// Field shapes the API has been seen to use, and ones it may: ids as integers, times as
    /// strings or fractions, absent and null fields, escapes, non-ASCII text.
    static let tasks = [
        task,
        #"{"task_id":831073165516059205,"task_status":"processing","created_at":"1764669600123","updated_at":1764669600123.9}"#,
        #"{"task_status":"failed","task_id":"t","task_status_msg":"bad \"audio\" \\ \n \u00e9 \ud83c\udfa4 ü","task_info":null,"task_result":null}"#,
        #"{"task_id":"t","task_status":"submitted","task_info":{"external_task_id":42},"watermark_url":null,"created_at":null}"#,
        #"{"task_id":"t","task_status":"succeed","task_result":{"videos":[{"id":7,"url":"u","duration":5},{"id":"x","url":"u"}]}}"#,
        #"{"task_id":"t","task_status":"succeed","task_result":{"videos":[{"id":"x","url":"u","duration":true}]}}"#,
        #"{"task_id":"t","task_status":"succeed","final_unit_deduction":-12,"final_balance_deduction":[]}"#,
        #"  { "task_id" : "t" , "task_status" : "new-status" , "unknown" : [ 1 , -2.5e-3 , "x" , { } ] }  "#,
    ]

    static func envelope(_ data: String, code: Int = 0) -> String {
        #"{"code":\#(code),"message":"SUCCEED","request_id":"r-\#(code)","data":\#(data)}"#
    }

    static func decoded<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static func read<T: WireJSONDecodable>(_ type: T.Type, _ text: String) -> T? {
        Array(text.utf8).withUnsafeBytes { T.fromWire($0) }
    }

    @Test(arguments: tasks) func aTaskReadsAsJSONDecoderDecodesIt(_ text: String) throws {
        let read = try #require(Self.read(LipSyncTask.self, text), "the reader declined \(text)")
        #expect(read == Self.decoded(LipSyncTask.self, text))
        let answer = Self.envelope(text)
        let envelope = try #require(Self.read(Envelope<LipSyncTask>.self, answer))
        #expect(envelope.data == read && envelope.code == 0 && envelope.message == "SUCCEED" && envelope.requestID == "r-0")
    }

    @Test func aPageReadsAsJSONDecoderDecodesIt() throws {
        let page = Self.envelope("[" + Self.tasks.joined(separator: ",") + "]")
        let read = try #require(Self.read(TaskPage.self, page))
        #expect(read.data == Self.decoded(TaskPage.self, page)?.data)
        #expect(read.data?.count == Self.tasks.count)
        let empty = try #require(Self.read(TaskPage.self, Self.envelope("[]")))
        #expect(empty.data == [])
    }

    @Test func anErrorAnswerReadsWithNoData() throws {
        let answer = #"{"code":1201,"message":"sound_file is invalid","request_id":1234,"data":null}"#
        let read = try #require(Self.read(Envelope<LipSyncTask>.self, answer))
        #expect(read.code == 1201 && read.data == nil && read.requestID == "1234" && read.message == "sound_file is invalid")
    }

    /// What the reader leaves to `JSONDecoder`: integers written as fractions where an id or
    /// an untyped value is expected, escaped keys, numbers beyond Int64, nesting past 512.
    @Test(arguments: [
        #"{"task_id":12.0,"task_status":"succeed"}"#,
        #"{"task_id":"t","task_status":"succeed","final_unit_deduction":1.0}"#,
        #"{"task_id":"t","task_status":"succeed","final_unit_deduction":123456789012345678901234}"#,
        #"{"task\u005fid":"t","task_status":"succeed"}"#,
        #"{"task_id":"t","task_status":"succeed","x":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
    ]) func whatItCannotBeSureOfIsLeftToJSONDecoder(_ text: String) {
        #expect(Self.read(LipSyncTask.self, text) == nil)
    }

    /// Every prefix and many single-byte changes of real answers: whenever the reader gives a
    /// value, `JSONDecoder` gives the same one.
    @Test func brokenAnswersAreNeverReadDifferently() {
        let page = Self.envelope("[" + Self.tasks.joined(separator: ",") + "]")
        let bytes = Array(page.utf8)
        var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let replacements = Array(#"{}[]",:0123456789-+.eEtrufalsn\ "#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        for _ in 0..<4000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var changed = bytes
            changed[Int(state >> 33) % bytes.count] = replacements[Int(state >> 17) % replacements.count]
            variants.append(changed)
        }
        for _ in 0..<1000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var shorter = bytes
            shorter.remove(at: Int(state >> 33) % bytes.count)
            variants.append(shorter)
        }
        // A key given twice, each way round.
        variants.append(Array(Self.envelope(#"[{"task_id":"a","task_status":"succeed","task_id":"b"}]"#).utf8))
        variants.append(Array(#"{"code":1,"message":"m","request_id":"r","data":[],"code":0}"#.utf8))
        var read = 0, mismatches: [String] = []
        for variant in variants {
            guard let value = variant.withUnsafeBytes({ TaskPage.fromWire($0) }) else { continue }
            read += 1
            let decoded = try? JSONDecoder().decode(TaskPage.self, from: Data(variant))
            if decoded?.data != value.data || decoded?.code != value.code || decoded?.message != value.message
                || decoded?.requestID != value.requestID {
                mismatches.append(String(decoding: variant, as: UTF8.self))
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) read differently, as \(mismatches.first.map { String($0.prefix(400)) } ?? "")")
        #expect(read > 1000, "the reader should still read most answers a harmless byte changed; read \(read)")
    }
}
