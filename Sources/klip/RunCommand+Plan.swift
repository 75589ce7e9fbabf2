import Foundation
import KlipScript
import KlipServer
import Logging

extension RunCommand {
    func printPlan(_ plan: Plan) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else {
            print(plan.text)
        }
    }
}

extension BackendOptions {
    /// `--plan`: a private embedded emulator that renders nothing, in a fresh state folder,
    /// whatever credentials are set: nothing reaches Kling and nothing is paid for.
    func makePlanningBackend() throws -> Backend {
        var options = self
        options.baseURL = nil
        options.callbackListen = nil
        options.callbackURL = nil
        options.stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-plan-\(UUID().uuidString)").path
        var config = Backend.embeddedConfiguration(options)
        config.renderMode = .none
        var logger = Logger(label: "klip.plan")
        logger.logLevel = verbose ? .debug : .warning
        return Backend(target: .embedded(config), callbacks: nil, stateDirectory: config.stateDirectory, logger: logger)
    }
}
