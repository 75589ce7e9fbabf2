import Foundation
import Synchronization
@testable import KlingAPI
import Testing

/// Many waits on one client share list queries (Kling's own API, the emulator); a gateway,
/// a refused list, or a few waits query each task by id.
@Suite struct TaskBoardTests {
    static let ids = (1...40).map { "t\($0)" }

    /// Lists answer "processing" the first time and "succeed" after; a query by id "succeed".
    static func server() async throws -> ScriptedServer {
        let lists = Counter()
        return try await ScriptedServer { request, _ in
            guard request.path.contains("advanced-lip-sync?") else {
                return ScriptedServer.ok(taskJSON("succeed", id: String(request.path.split(separator: "/").last!)))
            }
            let status = lists.next() == 1 ? "processing" : "succeed"
            return ScriptedServer.ok("[" + ids.reversed().map { taskJSON(status, id: $0) }.joined(separator: ",") + "]")
        }
    }

    static func waitAll(_ ids: [String], on client: KlingClient, timeout: Duration = .seconds(120)) async throws -> [TaskStatus] {
        try await withThrowingTaskGroup(of: TaskStatus.self) { group in
            for id in ids { group.addTask { try await client.wait(taskID: id, timeout: timeout, firstPoll: .milliseconds(50)).taskStatus } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    static func counts(_ server: ScriptedServer) async -> (lists: Int, byID: Int) {
        let paths = await server.received.map(\.path)
        let lists = paths.filter { $0.contains("advanced-lip-sync?") }.count
        return (lists, paths.count - lists)
    }

    @Test func manyWaitsOnKlingsOwnAPIShareListQueries() async throws {
        let server = try await Self.server()
        let c = client(for: server, prefix: KlingConfiguration.klingPrefix)
        let statuses = try await Self.waitAll(Self.ids, on: c)
        #expect(statuses == Array(repeating: .succeed, count: 40))
        let (lists, byID) = await Self.counts(server)
        #expect(byID == 0)
        #expect((2...10).contains(lists), "40 waits through \(lists) list queries")
        #expect(await c.board.answered >= 80)
        await server.stop()
    }

    @Test func aGatewayQueriesEachTaskByID() async throws {
        let server = try await Self.server()
        let statuses = try await Self.waitAll(Self.ids, on: client(for: server, prefix: KlingConfiguration.gatewayPrefix))
        #expect(statuses == Array(repeating: .succeed, count: 40))
        let (lists, byID) = await Self.counts(server)
        #expect(lists == 0)
        #expect(byID == 40)
        await server.stop()
    }

    @Test func aFewWaitsQueryByID() async throws {
        let server = try await Self.server()
        let ids = Array(Self.ids.prefix(TaskBoard.minWaits - 1))
        _ = try await Self.waitAll(ids, on: client(for: server, prefix: KlingConfiguration.klingPrefix))
        let (lists, byID) = await Self.counts(server)
        #expect(lists == 0)
        #expect(byID == ids.count)
        await server.stop()
    }

    /// No permission to list: asked once, then every wait queries by id and still ends.
    @Test func aRefusedListIsNotAskedAgain() async throws {
        let server = try await ScriptedServer { request, _ in
            if request.path.contains("advanced-lip-sync?") { return ScriptedServer.error(.forbidden, 1103, "no permission") }
            return ScriptedServer.ok(taskJSON("succeed", id: String(request.path.split(separator: "/").last!)))
        }
        let statuses = try await Self.waitAll(Self.ids, on: client(for: server, prefix: KlingConfiguration.klingPrefix))
        #expect(statuses == Array(repeating: .succeed, count: 40))
        let (lists, byID) = await Self.counts(server)
        #expect(lists == 1)
        #expect(byID == 40)
        await server.stop()
    }
}

extension TaskBoardTests {
    /// The account made 200 other tasks since: the pages hold none of the waited-for ones,
    /// so the waits query by id and the list rests instead of being read again and again.
    @Test func pagesWithoutTheWaitedForTasksAreNotReadAgainAndAgain() async throws {
        let others = (1...200).map { "other\($0)" }
        let server = try await ScriptedServer { request, _ in
            if request.path.contains("advanced-lip-sync?") {
                return ScriptedServer.ok("[" + others.map { taskJSON("succeed", id: $0) }.joined(separator: ",") + "]")
            }
            return ScriptedServer.ok(taskJSON("processing", id: String(request.path.split(separator: "/").last!)))
        }
        let c = client(for: server, prefix: KlingConfiguration.klingPrefix)
        // Each wait runs to its own timeout (a group that throws would cancel the waits
        // still due their first poll, which a loaded machine can put past the first timeout).
        let timedOut = await withTaskGroup(of: Bool.self) { group in
            for id in Self.ids {
                group.addTask {
                    do { _ = try await c.wait(taskID: id, timeout: .seconds(6), firstPoll: .milliseconds(50)); return false }
                    catch let error as KlingError { return error.kind == .timeout } catch { return false }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(timedOut == 40)
        let (lists, byID) = await Self.counts(server)
        #expect((1...4).contains(lists), "\(lists) list pages")
        #expect(byID >= 40)
        await server.stop()
    }
}

/// Counts calls from the server's handler threads.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
