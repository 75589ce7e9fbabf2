/// One list query instead of a thousand: while many waits run on one client, a wait's poll
/// is answered from a page of the account's newest tasks (`GET videos/advanced-lip-sync`,
/// up to 500 a page), fetched once for all of them and reused by every wait that comes due
/// soon after. A wait that finds its task on no page queries it by id, as before.
/// Only Kling's own API and the emulator list tasks; a list that fails for good is not asked again.
actor TaskBoard {
    typealias ListPage = @Sendable (_ page: Int, _ size: Int) async throws(KlingError) -> [LipSyncTask]

    /// Fewer waits than this query by id: a page costs more to read than a few small queries.
    static let minWaits = 8
    static let maxPageSize = 500

    private let list: ListPage?
    private var waits: [String: Int] = [:]
    private var seen: [String: (task: LipSyncTask, at: ContinuousClock.Instant)] = [:]
    private var listing: (started: ContinuousClock.Instant, done: Task<Void, Never>)?
    private var listWorks = true
    /// Lists are not asked before this: the last ones held none of the waited-for tasks.
    private var resting: ContinuousClock.Instant?
    static let rest: Duration = .seconds(30)
    /// Tasks answered from a list, and list pages asked for (for tests and figures).
    private(set) var answered = 0, pages = 0

    /// `list` nil: the API has no task list (a gateway).
    init(list: ListPage?) { self.list = list }

    func register(_ taskID: String) { waits[taskID, default: 0] += 1 }

    func unregister(_ taskID: String) {
        guard let n = waits[taskID] else { return }
        if n > 1 { waits[taskID] = n - 1 } else { waits[taskID] = nil; seen[taskID] = nil }
    }

    func register(_ taskIDs: [String]) { for id in taskIDs { register(id) } }
    func unregister(_ taskIDs: [String]) { for id in taskIDs { unregister(id) } }

    /// The task as a list saw it at `notBefore` or later, listing again if needed; nil when
    /// no list holds it (the caller queries it by id).
    func task(_ taskID: String, notBefore: ContinuousClock.Instant) async -> LipSyncTask? {
        if let hit = seen[taskID], hit.at >= notBefore { return take(hit.task) }
        guard let list, listWorks, waits.count >= Self.minWaits, resting.map({ $0 < .now }) ?? true else { return nil }
        let done: Task<Void, Never>
        if let listing, listing.started >= notBefore {
            done = listing.done
        } else {
            let started = ContinuousClock.now
            done = Task { await self.readPages(list, started: started) }
            listing = (started, done)
        }
        // A cancelled wait stops the shared list; the others then query by id.
        await withTaskCancellationHandler { await done.value } onCancel: { done.cancel() }
        guard let hit = seen[taskID], hit.at >= notBefore else { return nil }
        return take(hit.task)
    }

    private func take(_ task: LipSyncTask) -> LipSyncTask {
        answered += 1
        return task
    }

    /// Pages, newest first, until every waited-for task is seen or a page is the last one,
    /// at most two pages past what the waits need. Every task on them is kept, since a wait
    /// starting now may come for it within the freshness it accepts. Pages that held none of
    /// the waited-for tasks (the account made many others since) stop listing for a while.
    private func readPages(_ list: ListPage, started: ContinuousClock.Instant) async {
        seen = seen.filter { waits[$0.key] != nil && $0.value.at > started - .seconds(30) }
        let size = min(Self.maxPageSize, max(100, 2 * waits.count))
        var found = 0
        for page in 1...min(1000, waits.count / size + 2) {
            let tasks: [LipSyncTask]
            do { tasks = try await list(page, size) } catch {
                // A refusal (no such route, no permission) will not change; a hiccup might.
                if error.kind != .cancelled, !RetryPolicy.isRetryable(error) { listWorks = false }
                return
            }
            pages += 1
            for task in tasks {
                if waits[task.taskID] != nil { found += 1 }
                if (seen[task.taskID]?.at ?? started) <= started { seen[task.taskID] = (task, started) }
            }
            if tasks.count < size || found >= waits.count { return }
        }
        if found == 0 { resting = started + Self.rest }
    }
}
