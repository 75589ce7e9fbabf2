import Foundation
@testable import KlipEngine
import KlipMedia
import Testing

@Suite("Frame handoff between the stage and encoder threads")
struct FrameHandoffTests {
    @Test func everyFrameArrivesOnceInOrderThroughTheBound() async throws {
        let handoff = FrameHandoff(capacity: 2)
        async let received = DedicatedThread.run(name: "test-take") { () -> [UInt8] in
            var seen: [UInt8] = []
            while let frame = handoff.take() { seen.append(frame[0]); handoff.recycle(frame) }
            return seen
        }
        let accepted = try await DedicatedThread.run(name: "test-put") { () -> Bool in
            var ok = true
            for n in 0..<200 {
                var buffer = [UInt8(n % 256), 0, 0]
                ok = ok && handoff.put(&buffer)
            }
            handoff.finish()
            return ok
        }
        #expect(accepted)
        #expect(try await received == (0..<200).map { UInt8($0 % 256) })
        #expect(!handoff.isAbandoned)
    }

    @Test func aConsumerGivingUpReleasesAProducerWaitingOnAFullQueue() async throws {
        let handoff = FrameHandoff(capacity: 1)
        var first = [UInt8(1)]
        #expect(handoff.put(&first))
        async let blocked = DedicatedThread.run(name: "test-put") { () -> Bool in
            var second = [UInt8(2)]
            return handoff.put(&second)  // the queue is full: waits until abandoned
        }
        handoff.abandon()
        #expect(try await blocked == false)
        #expect(handoff.take() == nil)
        #expect(handoff.isAbandoned)
    }

    @Test func finishingAfterAbandoningStillReportsAbandoned() {
        let handoff = FrameHandoff()
        handoff.abandon()
        handoff.finish()
        #expect(handoff.isAbandoned)
    }
}
