import AsyncHTTPClient
import Foundation
import KlingAPI
import KlipTestSupport
import NIOCore
import Synchronization
import Testing

/// What 1,000 tasks cost a Swift client below `klip run` (scripts/bench-py/compare prints it
/// beside klip's and Python's CPU): the same creates and queries sent with bare
/// AsyncHTTPClient (the HTTP floor any client on it pays), then through `KlingClient`
/// (checks, encoding, decoding, list polling), each measured as this process's CPU.
/// Figures only. Needs KLIP_FLOOR_URL (a `klip serve --render none --max-parallel 2000`).
@Suite("Client floor benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_FLOOR_URL"] != nil), .serialized)
struct ClientFloorBench {
    static let env = ProcessInfo.processInfo.environment
    static let tasks = Int(env["KLIP_FLOOR_TASKS"] ?? "") ?? 1000
    static let media = env["KLIP_LOAD_MEDIA"] ?? ServeProcess.repoMedia

    /// Runs `work(i)` for every task index, 32 at a time (KlingHTTP's connections per host).
    static func each(_ work: @escaping @Sendable (Int) async throws -> Void) async throws {
        let next = Shared(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    while true {
                        let i = next.value.withLock { n in defer { n += 1 }; return n }
                        guard i < tasks else { return }
                        try await work(i)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func whatTheCreatesAndQueriesCostBelowKlipRun() async throws {
        let base = try #require(Self.env["KLIP_FLOOR_URL"])
        let config = KlingConfiguration(baseURL: URL(string: base)!, pathPrefix: KlingConfiguration.gatewayPrefix,
                                        credentials: .apiKey("bench"), isLocal: true)
        let client = KlingClient(configuration: config)
        let session = try await client.identifyFace(video: Self.media + "/one-face.mp4")
        let sound = try await client.prepareSound(Self.media + "/speech.wav")
        let face = session.faceData[0].faceID

        let systemBefore = ProcessCPU.userAndSystem().system
        let bare = try await Self.bare(base: base + "/kling/v1", session: session.sessionID, face: face, sound: sound.soundFile)
        print(String(format: "floor: bare AsyncHTTPClient, %d creates + %d queries: client CPU %.2f s (sys %.2f)",
                     Self.tasks, Self.tasks, bare, ProcessCPU.userAndSystem().system - systemBefore))

        let start = ProcessCPU.seconds()
        let ids = Shared([String](repeating: "", count: Self.tasks))
        try await Self.each { i in
            let request = LipSyncRequest(sessionID: session.sessionID, faceChoose: [FaceChoose(
                faceID: face, soundFile: sound.soundFile, soundStartTime: 0, soundEndTime: 2500, soundInsertTime: 2000 + i)])
            let task = try await client.createLipSync(request, audio: sound.facts)
            ids.value.withLock { $0[i] = task.taskID }
        }
        let all = ids.value.withLock { $0 }
        let done = try await client.waitingTogether(on: all) {
            try await withThrowingTaskGroup(of: TaskStatus.self) { group in
                for id in all { group.addTask { try await client.wait(taskID: id).taskStatus } }
                return try await group.reduce(0) { $1 == .succeed ? $0 + 1 : $0 }
            }
        }
        #expect(done == Self.tasks)
        print(String(format: "floor: KlingClient (checks, wire JSON, list polling), %d tasks: client CPU %.2f s",
                     Self.tasks, ProcessCPU.seconds() - start))
    }

    /// The create bodies and queries as bytes made beforehand, sent and read back.
    static func bare(base: String, session: String, face: String, sound: String) async throws -> Double {
        let http = KlingHTTP.shared
        func body(_ i: Int) -> ByteBuffer {
            ByteBuffer(string: #"{"session_id":"\#(session)","face_choose":[{"face_id":"\#(face)","sound_file":"\#(sound)","sound_start_time":0,"sound_end_time":2500,"sound_insert_time":\#(1000 + i)}]}"#)
        }
        let bodies = (0..<tasks).map(body)
        let start = ProcessCPU.seconds()
        let ids = Shared([String](repeating: "", count: tasks))
        try await each { i in
            var request = HTTPClientRequest(url: base + "/videos/advanced-lip-sync")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer bench")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(bodies[i])
            let response = try await http.execute(request, timeout: .seconds(120))
            let answer = try await response.body.collect(upTo: 1 << 20)
            let id = String(buffer: answer).firstMatch(of: /"task_id":"([0-9]+)"/).map { String($0.1) } ?? ""
            ids.value.withLock { $0[i] = id }
        }
        let all = ids.value.withLock { $0 }
        try await each { i in
            var request = HTTPClientRequest(url: base + "/videos/advanced-lip-sync/" + all[i])
            request.headers.add(name: "Authorization", value: "Bearer bench")
            let response = try await http.execute(request, timeout: .seconds(120))
            _ = try await response.body.collect(upTo: 1 << 20)
        }
        return ProcessCPU.seconds() - start
    }
}

/// A value the benchmark's concurrent workers share.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
