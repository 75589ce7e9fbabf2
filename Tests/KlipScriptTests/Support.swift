import Foundation
@testable import KlipScript

/// Collects the host's diagnostic lines.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
    var text: String { all.joined(separator: "\n") }
}

/// A one-shot signal from a callback to a waiting test: `wait` returns once `signal` has
/// been called (before or after), without polling or guessing a delay.
final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var signalled = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func signal() {
        let resumed = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            signalled = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in resumed { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                if signalled { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

struct Run {
    var result: ScriptResult
    var lines: Lines
    var status: Int32 { result.exitStatus }
    var values: [LuaValue] { result.values }
    var message: String { result.errorMessage ?? "" }
}

func run(_ code: String, sandbox: Bool = false, memoryLimit: UInt64? = nil, cpuLimit: Double? = nil,
         arguments: [String] = [], allow: [String] = []) async -> Run {
    let lines = Lines()
    let options = ScriptOptions(source: .code(code), arguments: arguments, sandbox: sandbox, allowedDirectories: allow,
                                memoryLimit: memoryLimit, cpuLimit: cpuLimit,
                                diagnostics: { lines.add($0) }, liveProgress: false)
    let result = await ScriptRunner(options: options).run()
    return Run(result: result, lines: lines)
}

func runFile(_ code: String, name: String = "script.lua", arguments: [String] = [], sandbox: Bool = false,
             allow: [String] = []) async throws -> (Run, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-script-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent(name)
    try code.write(to: file, atomically: true, encoding: .utf8)
    let lines = Lines()
    let options = ScriptOptions(source: .file(file.path), arguments: arguments, sandbox: sandbox, allowedDirectories: allow,
                                diagnostics: { lines.add($0) }, liveProgress: false)
    let result = await ScriptRunner(options: options).run()
    return (Run(result: result, lines: lines), dir)
}
