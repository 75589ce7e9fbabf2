import Foundation
import KlingAPI
import Testing

/// The 1303 slot queue as `klip lipsync` and the `lipsync` binding use it, against a
/// loopback server that answers "too many parallel tasks" until a slot frees.
@Suite struct SlotQueueTests {
    static let quick = SlotQueue(firstDelay: .milliseconds(20), growth: 1.5, maximumDelay: .milliseconds(50),
                                 patience: .seconds(600))

    @Test func aCreateRefusedFor1303WaitsForASlotAndIsMadeOnce() async throws {
        let server = try await ScriptedServer { _, n in
            n <= 3 ? ScriptedServer.error(.tooManyRequests, 1303, "parallel task over resource pack limit")
                   : ScriptedServer.ok(taskJSON("submitted"))
        }
        let c = client(for: server, retry: .none)
        var told: [Int?] = []
        let created = try await Self.quick.run(onQueued: { told.append($0.code) }) { () async throws(KlingError) in
            try await c.create(validRequest(), audio: nil)
        }
        #expect(created.task.taskStatus == .submitted)
        #expect(created.origin == .created)
        #expect(await server.received.count == 4)
        #expect(told == [1303]) // said once, however long the queue
        await server.stop()
    }

    @Test(arguments: [1302, 1201, 5000])
    func otherRefusalsAreNotQueued(code: Int) async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.error(.badRequest, code, "no") }
        let c = client(for: server, retry: .none)
        await #expect { try await Self.quick.run { () async throws(KlingError) in try await c.create(validRequest(), audio: nil) } }
            throws: { ($0 as? KlingError)?.code == code }
        #expect(await server.received.count == 1)
        await server.stop()
    }

    @Test func theQueueGivesUpAfterItsPatienceWithTheRefusal() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.error(.tooManyRequests, 1303, "full") }
        let c = client(for: server, retry: .none)
        // Patience long enough that no load delays the first answer past it: the test is about
        // giving up with the refusal after retrying, not about how fast.
        let impatient = SlotQueue(firstDelay: .milliseconds(10), growth: 2, maximumDelay: .milliseconds(40), patience: .seconds(5))
        await #expect { try await impatient.run { () async throws(KlingError) in try await c.create(validRequest(), audio: nil) } }
            throws: { ($0 as? KlingError)?.klingCode == .tooManyParallelTasks }
        #expect(await server.received.count >= 1) // how many fit in the patience depends on load
        await server.stop()
    }

    @Test func delaysGrowToTheCap() {
        let q = SlotQueue.default
        #expect(q.delay(after: .seconds(1)) == .seconds(1.5))
        #expect(q.delay(after: .seconds(8)) == .seconds(10))
        #expect(SlotQueue.waitsOut(KlingError(kind: .api, message: "x", code: 1303)))
        #expect(!SlotQueue.waitsOut(KlingError(kind: .network, message: "x", code: 1303)))
    }
}

@Suite struct SingleFlightTests {
    actor Counter {
        var n = 0
        func next() -> Int { n += 1; return n }
    }

    @Test func concurrentCallersShareOneMakingAndAFailureIsForgotten() async throws {
        let flight = SingleFlight<Int>()
        let counter = Counter()
        let values = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<50 { group.addTask { try? await flight.value { await counter.next() } } }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(Set(values) == [1])
        #expect(await counter.n == 1)

        struct Boom: Error {}
        let failing = SingleFlight<Int>()
        await #expect(throws: Boom.self) { try await failing.value { throw Boom() } }
        #expect(try await failing.value { 7 } == 7)
        await flight.reset()
        #expect(try await flight.value { await counter.next() } == 2)
    }
}
