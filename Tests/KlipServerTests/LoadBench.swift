import AsyncHTTPClient
import Foundation
import KlipTestSupport
import Testing

/// The load driver of scripts/bench-load; runs only with KLIP_BENCH_LOAD=1 against the
/// `klip serve` at KLIP_LOAD_URL (a separate process, so its memory is its own). Many
/// clients create tasks and poll them for a bounded time; figures are printed as `load:`
/// lines. It asserts outcomes (no errors but the expected 1303s), never speed.
@Suite("Load benchmark", .enabled(if: ProcessInfo.processInfo.environment["KLIP_BENCH_LOAD"] == "1"))
struct LoadBench {
    struct Totals: Sendable {
        var latencies: [Double] = []  // seconds
        var creates = 0, created = 0, busy = 0, polls = 0, lists = 0, succeeded = 0
        var errors: [String] = []

        mutating func add(_ other: Totals) {
            latencies += other.latencies
            creates += other.creates; created += other.created; busy += other.busy
            polls += other.polls; lists += other.lists; succeeded += other.succeeded
            errors += other.errors
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func manyClientsCreateAndPoll() async throws {
        let env = ProcessInfo.processInfo.environment
        let base = try #require(env["KLIP_LOAD_URL"], "KLIP_LOAD_URL is required") + "/v1"
        let clients = Int(env["KLIP_LOAD_CLIENTS"] ?? "") ?? 200
        let duration = Duration.seconds(Int(env["KLIP_LOAD_SECONDS"] ?? "") ?? 20)
        let perClient = Int(env["KLIP_LOAD_MAX_REQUESTS"] ?? "") ?? 2000
        let media = env["KLIP_LOAD_MEDIA"] ?? ServeProcess.repoMedia

        // One connection per client: 200 clients really are 200 concurrent connections.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(30), read: .seconds(120)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do { try await drive(http) } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()

        func drive(_ http: HTTPClient) async throws {

        func send(_ method: String, _ url: String, _ json: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
            var request = HTTPClientRequest(url: url)
            request.method = .init(rawValue: method)
            if let json {
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(try JSONSerialization.data(withJSONObject: json))
            }
            let response = try await http.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 8 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object)
        }

        let (_, identify) = try await send("POST", base + "/videos/identify-face", ["video_url": "file://\(media)/one-face.mp4"])
        let session = try #require((identify["data"] as? [String: Any])?["session_id"] as? String, "identify: \(identify)")
        let sound = "file://\(media)/speech.wav"
        let run = UUID().uuidString.prefix(8)

        let started = ContinuousClock.now
        let deadline = started + duration
        let totals = await withTaskGroup(of: Totals.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var t = Totals()
                    var requests = 0
                    func timed(_ method: String, _ url: String, _ json: [String: Any]? = nil) async -> (Int, [String: Any])? {
                        requests += 1
                        let start = ContinuousClock.now
                        do {
                            let answer = try await send(method, url, json)
                            t.latencies.append(Self.seconds(ContinuousClock.now - start))
                            return answer
                        } catch {
                            t.errors.append("\(method) \(url): \(error)")
                            return nil
                        }
                    }
                    var n = 0
                    while ContinuousClock.now < deadline && requests < perClient {
                        n += 1
                        t.creates += 1
                        let body: [String: Any] = [
                            "session_id": session, "external_task_id": "load-\(run)-\(client)-\(n)",
                            "face_choose": [["face_id": "0", "sound_file": sound, "sound_start_time": 0,
                                             "sound_end_time": 2500, "sound_insert_time": 500]],
                        ]
                        guard let (status, answer) = await timed("POST", base + "/videos/advanced-lip-sync", body) else { continue }
                        let code = answer["code"] as? Int ?? -1
                        if code == 1303 {
                            t.busy += 1
                            t.lists += 1
                            if let (_, list) = await timed("GET", base + "/videos/advanced-lip-sync?pageNum=1&pageSize=10"),
                               list["code"] as? Int != 0 {
                                t.errors.append("list: \(list["code"] ?? "?") \(list["message"] ?? "")")
                            }
                            continue
                        }
                        guard code == 0, let id = (answer["data"] as? [String: Any])?["task_id"] as? String else {
                            t.errors.append("create: \(status) \(code) \(answer["message"] ?? "")")
                            continue
                        }
                        t.created += 1
                        // Poll until final (or the time is up).
                        while ContinuousClock.now < deadline && requests < perClient {
                            t.polls += 1
                            guard let (_, query) = await timed("GET", base + "/videos/advanced-lip-sync/\(id)") else { break }
                            guard query["code"] as? Int == 0, let status = (query["data"] as? [String: Any])?["task_status"] as? String else {
                                t.errors.append("query: \(query["code"] ?? "?") \(query["message"] ?? "")")
                                break
                            }
                            if status == "succeed" { t.succeeded += 1; break }
                            if status == "failed" { t.errors.append("task \(id) failed"); break }
                        }
                    }
                    return t
                }
            }
            var all = Totals()
            for await t in group { all.add(t) }
            return all
        }
        let elapsed = Self.seconds(ContinuousClock.now - started)

        let sorted = totals.latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let requests = sorted.count + totals.errors.count
        print(String(format: "load: %d clients for %.1f s: %d requests, %.0f requests/s", clients, elapsed, requests, Double(requests) / elapsed))
        print(String(format: "load: latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", percentile(0.5) * 1000, percentile(0.99) * 1000, (sorted.last ?? 0) * 1000))
        print("load: creates \(totals.creates): \(totals.created) created, \(totals.busy) answered 1303 (slots full); \(totals.succeeded) tasks seen succeed; \(totals.polls) polls, \(totals.lists) lists")
        print(String(format: "load: client (this test process) CPU %.1f s", ProcessCPU.seconds()))
        print("load: errors other than 1303: \(totals.errors.count)")
        for error in Set(totals.errors).prefix(5) { print("load: error: \(error)") }
        #expect(totals.errors.isEmpty)
        #expect(totals.created > 0)
        }
    }
}
