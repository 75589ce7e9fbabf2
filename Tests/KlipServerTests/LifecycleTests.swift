import Foundation
@testable import KlipServer
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test func oneEmulatorPerStateDirectory() async throws {
        let state = try temporaryDirectory()
        let first = try await TestEmulator.start(stateDirectory: state)
        await #expect(throws: EmulatorStartError.self) {
            _ = try await TestEmulator.start(stateDirectory: state)
        }
        await first.close()
        await first.close()  // a second stop is harmless
        let again = try await TestEmulator.start(stateDirectory: state)
        await again.close()
    }
}
