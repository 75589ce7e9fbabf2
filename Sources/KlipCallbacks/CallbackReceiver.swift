import Foundation
import Hummingbird
import KlingAPI
import Logging
import NIOCore

/// A local receiver for Kling's task callbacks. It checks Standard Webhooks signatures when
/// it has a secret, answers every delivery idempotently, and wakes the waits on that task
/// (`TaskSignals`); the waits then confirm by querying, since deliveries may be duplicated,
/// reordered or forged.
public struct CallbackReceiver: Sendable {
    public let url: URL
    private let task: Task<Void, any Error>
    private let inbox: Inbox

    actor Inbox {
        var accepted = 0
        var rejected = 0
        func accept() { accepted += 1 }
        func reject() { rejected += 1 }
    }

    /// Starts listening on `host:port` (port 0: any). `secret`: the `whsec_` secret the sender
    /// signs with; without one, unsigned deliveries are accepted (they only wake a poll).
    public static func start(host: String = "127.0.0.1", port: Int = 0, secret: String?,
                             signals: TaskSignals, logger: Logger) async throws -> CallbackReceiver {
        try await start(host: host, port: port, policy: secret.map { .signed(secret: $0) } ?? .unsignedAccepted(secret: nil),
                        signals: signals, logger: logger)
    }

    /// Starts listening on `host:port` (port 0: any), taking deliveries as `policy` says.
    public static func start(host: String = "127.0.0.1", port: Int = 0, policy: CallbackPolicy,
                             signals: TaskSignals, logger: Logger) async throws -> CallbackReceiver {
        signals.listen()
        var signer: WebhookSigner?
        if let secret = policy.secret {
            guard let s = WebhookSigner(secret: secret) else {
                throw CallbackReceiverError(message: "the webhook secret is not a valid whsec_ secret")
            }
            signer = s
        }
        let inbox = Inbox()
        let router = Router()
        router.post("/callbacks") { [signer] request, _ -> Response in
            let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            func header(_ name: String) -> String? {
                request.headers.first { $0.name.canonicalName == name }?.value
            }
            let verdict = policy.judge(signer: signer, id: header("webhook-id"), timestamp: header("webhook-timestamp"),
                                       signatures: header("webhook-signature"), body: body)
            if case let .reject(reason) = verdict {
                await inbox.reject()
                logger.warning("callback rejected: \(reason)")
                return Response(status: .unauthorized)
            }
            guard let task = try? JSONDecoder().decode(LipSyncTask.self, from: body) else {
                await inbox.reject()
                return Response(status: .badRequest)
            }
            await inbox.accept()
            logger.debug("callback: task \(task.taskID) \(task.taskStatus) (a hint: the wait confirms with a GET)")
            await signals.notify(taskID: task.taskID)
            return Response(status: .ok)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var quiet = logger
        quiet.logLevel = .critical  // shutdown by cancellation logs an error that means nothing here
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0); continuation.finish() },
                              logger: quiet)
        let task = Task { try await app.run() }
        var bound = 0
        for await p in stream { bound = p }
        guard bound > 0 else {
            _ = await task.result
            throw CallbackReceiverError(message: "could not listen on \(host):\(port)")
        }
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        return CallbackReceiver(url: URL(string: "http://\(shownHost):\(bound)/callbacks")!, task: task, inbox: inbox)
    }

    /// Deliveries accepted and rejected so far.
    public func counts() async -> (accepted: Int, rejected: Int) {
        (await inbox.accepted, await inbox.rejected)
    }

    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}

public struct CallbackReceiverError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
