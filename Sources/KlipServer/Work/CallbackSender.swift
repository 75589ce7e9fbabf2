import AsyncHTTPClient
import Foundation
import KlingAPI
import Logging

/// POSTs the flat task body to `callback_url` on each status change, signed per Standard
/// Webhooks when a secret is set. Deliveries for one task go out in order; a receiver
/// that fails gets a few retries with backoff, then the delivery is dropped and logged.
/// Nothing here can fail a task.
actor CallbackSender {
    private let http: HTTPClient
    private let signer: WebhookSigner?
    private let retryDelays: [Duration]
    private let timeout: Duration
    private let logger: Logger
    private var chains: [String: (token: UUID, task: Task<Void, Never>)] = [:]

    init(http: HTTPClient, signer: WebhookSigner?, retryDelays: [Duration], timeout: Duration, logger: Logger) {
        self.timeout = timeout
        self.http = http
        self.signer = signer
        self.retryDelays = retryDelays
        self.logger = logger
    }

    func send(_ task: LipSyncTask, to callbackURL: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(task) else { return }
        let previous = chains[task.taskID]?.task
        let token = UUID()
        let messageID = "msg_" + UUID().uuidString.lowercased()
        let delivery = Task {
            await previous?.value
            await self.deliver(body, messageID: messageID, to: callbackURL, taskID: task.taskID, status: task.taskStatus.rawValue)
            self.finished(task.taskID, token)
        }
        chains[task.taskID] = (token, delivery)
    }

    /// Waits for queued deliveries of every task (tests and graceful stops).
    func drain() async {
        while let next = chains.values.first?.task { await next.value }
    }

    func cancelAll() async {
        let tasks = chains.values.map(\.task)
        tasks.forEach { $0.cancel() }
        for t in tasks { await t.value }
        chains.removeAll()
    }

    private func finished(_ taskID: String, _ token: UUID) {
        if chains[taskID]?.token == token { chains[taskID] = nil }
    }

    private func deliver(_ body: Data, messageID: String, to callbackURL: String, taskID: String, status: String) async {
        let shown = URL(string: callbackURL).map(MediaInput.redacted) ?? "callback_url"
        for attempt in 0...retryDelays.count {
            if attempt > 0 {
                do { try await Task.sleep(for: retryDelays[attempt - 1]) } catch { return }
            }
            var request = HTTPClientRequest(url: callbackURL)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            if let signer {
                // The same id on every retry: receivers de-duplicate by it.
                let timestamp = Int64(Date().timeIntervalSince1970)
                for (name, value) in signer.headers(id: messageID, timestamp: timestamp, body: body) {
                    request.headers.add(name: name, value: value)
                }
            }
            request.body = .bytes(body)
            do {
                let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
                let response = try await http.execute(request, timeout: .milliseconds(max(1, ms)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) {
                    logger.debug("callback delivered", metadata: ["task_id": "\(taskID)", "status": "\(status)"])
                    return
                }
                logger.info("callback receiver answered \(response.status.code)", metadata: ["task_id": "\(taskID)", "url": "\(shown)", "attempt": "\(attempt + 1)"])
            } catch {
                if Task.isCancelled { return }
                logger.info("callback delivery failed: \(error)", metadata: ["task_id": "\(taskID)", "url": "\(shown)", "attempt": "\(attempt + 1)"])
            }
        }
        logger.warning("callback given up after \(retryDelays.count + 1) attempts", metadata: ["task_id": "\(taskID)", "status": "\(status)", "url": "\(shown)"])
    }
}
