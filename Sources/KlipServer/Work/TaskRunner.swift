import Foundation
import KlingAPI
import KlipEngine
import Logging

/// The work queue: runs at most `limit` renders at once, each task
/// `submitted → processing → succeed|failed`, with a callback on each change.
/// A stop cancels renders and leaves their tasks `processing` for the next start.
actor TaskRunner {
    private let store: Store
    private let layout: StateLayout
    private let callbacks: CallbackSender
    private let renderer: LipSyncRenderer
    private let renderMode: RenderMode
    private let limit: Int
    private let renderTimeout: Duration
    private let minimumDuration: Duration
    private let beforeRender: (@Sendable (String) async -> Void)?
    private let logger: Logger
    private var pending: [String] = []
    private var running: [String: Task<Void, Never>] = [:]
    private var stopped = false

    init(store: Store, layout: StateLayout, callbacks: CallbackSender, renderMode: RenderMode, limit: Int,
         renderTimeout: Duration, minimumDuration: Duration = .zero, beforeRender: (@Sendable (String) async -> Void)?, logger: Logger) {
        self.renderTimeout = renderTimeout
        self.minimumDuration = minimumDuration
        self.store = store
        self.layout = layout
        self.callbacks = callbacks
        self.renderer = LipSyncRenderer(mode: renderMode)
        self.renderMode = renderMode
        self.limit = max(1, limit)
        self.beforeRender = beforeRender
        self.logger = logger
    }

    func enqueue(_ id: String) {
        guard !stopped, running[id] == nil, !pending.contains(id) else { return }
        pending.append(id)
        pump()
    }

    func stop() async {
        stopped = true
        pending.removeAll()
        let tasks = Array(running.values)
        tasks.forEach { $0.cancel() }
        for t in tasks { await t.value }
    }

    private func pump() {
        while !stopped, running.count < limit, !pending.isEmpty {
            let id = pending.removeFirst()
            running[id] = Task {
                await self.process(id)
                self.finished(id)
            }
        }
    }

    private func finished(_ id: String) {
        running[id] = nil
        pump()
    }

    private func process(_ id: String) async {
        do {
            guard let (task, claimed) = try await store.claim(id) else { return }
            if claimed, let url = task.callbackURL {
                await callbacks.send(WireMapping.task(task, base: task.baseURL), to: url)
            }
            if let beforeRender { await beforeRender(id) }
            if Task.isCancelled { return }

            guard let session = try await store.session(task.sessionID) else {
                await transition(id, to: .failed, message: "session \(task.sessionID) is gone")
                return
            }
            let face = session.tracks.first { String($0.index) == task.faceID }
            // Rendered privately under a fresh name, then moved into place: a render cut off
            // by a kill (its ffmpeg may outlive us for a moment) never writes or leaves a
            // half file where the result is served.
            let scratch = layout.taskPrivate(id)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            Self.removeRenders(in: scratch)
            let rendered = scratch.appendingPathComponent("render-\(UUID().uuidString).mp4")
            let request = RenderRequest(
                videoPath: session.videoPath, audioPath: task.audioPath,
                soundStartMs: task.soundStartMs, soundEndMs: task.soundEndMs, insertMs: task.insertMs,
                soundVolume: task.soundVolume, originalVolume: task.originalVolume,
                face: face, outputPath: rendered.path)
            let started = ContinuousClock.now
            let facts: VideoFacts
            do { facts = try await render(request) } catch {
                try? FileManager.default.removeItem(at: rendered)
                throw error
            }
            // Held to the configured minimum; a stop during the hold is a stop during the render.
            let rest = minimumDuration - (ContinuousClock.now - started)
            if rest > .zero { try? await Task.sleep(for: rest) }
            if Task.isCancelled {
                try? FileManager.default.removeItem(at: rendered)
                return
            }
            let output = layout.taskFiles(id)
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            let served = output.appendingPathComponent("output.mp4")
            try? FileManager.default.removeItem(at: served)
            try FileManager.default.moveItem(at: rendered, to: served)
            // Again at the end: the ffmpeg of a killed run may have finished its file meanwhile.
            Self.removeRenders(in: scratch)
            let message = renderMode == .none
                ? "render mode none: no lip sync was rendered; the result is the input video"
                : ""
            logger.info("task succeeded", metadata: ["task_id": "\(id)", "render": "\(ContinuousClock.now - started)"])
            await transition(id, to: .succeed, message: message, resultDurationMs: facts.durationMs)
        } catch {
            // A stop cancels the render: the task stays `processing` and runs again on the next start.
            if Task.isCancelled || error is CancellationError { return }
            let message: String
            if let engine = error as? EngineError { message = engine.description } else { message = "\(error)" }
            logger.info("task failed", metadata: ["task_id": "\(id)", "reason": "\(message)"])
            await transition(id, to: .failed, message: message)
        }
    }

    /// Partial renders (`render-*.mp4`) left in a task's private directory.
    static func removeRenders(in directory: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix("render-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    struct RenderTimeout: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "the render took longer than \(limit) and was stopped" }
    }

    /// The render, raced against `renderTimeout`; the loser is cancelled (which ends ffmpeg).
    private func render(_ request: RenderRequest) async throws -> VideoFacts {
        let renderer = self.renderer, limit = renderTimeout
        return try await withThrowingTaskGroup(of: VideoFacts.self) { group in
            group.addTask { try await renderer.render(request) }
            group.addTask {
                try await Task.sleep(for: limit)
                throw RenderTimeout(limit: limit)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    private func transition(_ id: String, to status: TaskStatus, message: String, resultDurationMs: Int? = nil) async {
        do {
            guard let updated = try await store.update(id, status: status, message: message, resultDurationMs: resultDurationMs) else { return }
            if let url = updated.callbackURL {
                await callbacks.send(WireMapping.task(updated, base: updated.baseURL), to: url)
            }
        } catch is CancellationError {
            // A stop: the task keeps its stored status and runs again at the next start.
        } catch {
            logger.error("cannot record a task's status", metadata: ["task_id": "\(id)", "status": "\(status)", "error": "\(error)"])
        }
    }
}
