/// Opens once; waiters before and after the opening all pass. A readiness signal between a
/// test and the work it starts, instead of a sleep.
public actor Latch {
    public private(set) var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    public init() {}
    public func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    public func open() {
        isOpen = true
        waiters.forEach { $0.resume() }
        waiters = []
    }
}
