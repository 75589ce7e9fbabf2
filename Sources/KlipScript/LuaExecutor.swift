import CLuaGlue
import Foundation

/// The thread a script's Lua runs on. Lua code runs in bursts that can take a while (a
/// script's own loops, a CPU limit of seconds); on its own thread it never holds one of
/// the few threads of Swift's cooperative pool, which the client and the embedded
/// emulator need meanwhile. The stack is large enough for Lua's C-call limit.
final class LuaExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in
            klip_name_thread(name)
            klip_block_signals()
            loop()
        }
        thread.name = name
        thread.stackSize = 16 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Ends the thread once the queued jobs have run.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
