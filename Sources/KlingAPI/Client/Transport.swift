import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One JSON call with the envelope decoded, auth attached, and the retry policy applied.
struct Transport: Sendable {
    let configuration: KlingConfiguration
    let http: HTTPClient
    let auth: Authenticator
    let logger: Logger
    let limiter: RequestLimiter
    /// Bodies larger than this are not an API answer.
    static let maxResponseBytes = 16 << 20

    enum Method: String { case get = "GET", post = "POST" }

    /// Sends a request; `retryable` says whether a retry after an unknown outcome is safe (a
    /// create without `external_task_id` is not: a lost answer would bill a second task).
    /// `recover` is asked about an error met on a retry, when an earlier attempt may have
    /// taken effect (a create whose answer was lost, retried into "duplicate external_task_id");
    /// a value it returns is the answer.
    func call<Payload: Codable & Sendable>(_ method: Method, _ path: String, query: String? = nil,
                                          body: (any Encodable & Sendable)? = nil, retryable: Bool = true, as: Payload.Type,
                                          recover: (@Sendable (KlingError) async -> Payload?)? = nil) async throws(KlingError) -> Payload {
        var attempt = 0
        var resigned = false
        while true {
            attempt += 1
            do {
                return try await once(method, path, query: query, body: body, as: Payload.self)
            } catch {
                if attempt > 1, let recover, let recovered = await recover(error) { return recovered }
                if error.klingCode?.isTokenTiming == true, !resigned, auth.invalidate() {
                    resigned = true
                    logger.debug("token rejected (\(error.code!)); re-signing once")
                    attempt -= 1
                    continue
                }
                // A rate limit refuses before anything is created, so even a create without an
                // external_task_id may be sent again; after a server error or a lost connection it may not.
                let refusedBeforeCreating = error.klingCode?.refusedBeforeCreating == true
                guard retryable || refusedBeforeCreating, RetryPolicy.isRetryable(error),
                      attempt < configuration.retry.maxAttempts else {
                    throw error
                }
                let delay = configuration.retry.delay(beforeRetry: attempt - 1)
                logger.info("\(method.rawValue) \(path): \(error.description); retry \(attempt) in \(String(format: "%.1f", delay.seconds)) s")
                do { try await Task.sleep(for: delay) } catch {
                    throw KlingError(kind: .cancelled, message: "cancelled while waiting to retry \(path)")
                }
            }
        }
    }

    private func once<Payload: Codable & Sendable>(_ method: Method, _ path: String, query: String?,
                                                  body: (any Encodable & Sendable)?, as: Payload.Type) async throws(KlingError) -> Payload {
        var request = HTTPClientRequest(url: configuration.url(path, query: query))
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "klip/0.1")
        if let header = auth.header() { request.headers.add(name: "Authorization", value: header) }
        if body != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.nanoseconds)
            // The body is encoded only once this request may go: a thousand queued creates
            // hold one shared request value each, not a thousand encoded copies of its audio.
            (response, bytes) = try await limiter.run { [http, request] in
                var request = request
                if let body { request.body = .bytes(try Self.encode(body)) }
                let response = try await http.execute(request, timeout: timeout)
                return (response, try await response.body.collect(upTo: Self.maxResponseBytes))
            }
        } catch let error as KlingError {
            throw error
        } catch {
            if Task.isCancelled { throw KlingError(kind: .cancelled, message: "\(method.rawValue) \(path) cancelled") }
            throw KlingError(kind: .network, message: "\(method.rawValue) \(configuration.url(path)): \(Self.describe(error))")
        }
        let status = Int(response.status.code)
        guard let envelope = Self.wireEnvelope(bytes, of: Payload.self)
                ?? (try? JSONDecoder().decode(Envelope<Payload>.self, from: Data(bytes.readableBytesView))) else {
            let data = Data(bytes.readableBytesView)
            // A body that is not even JSON was cut short on the way (the request may have taken
            // effect: a lost answer); a 5xx without an envelope comes from something in between.
            // Both are connection-level failures. JSON that is not an envelope is not retried.
            let snippet = String(decoding: data.prefix(200), as: UTF8.self)
            let isJSON = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
            throw KlingError(kind: status >= 500 || !isJSON ? .network : .api,
                             message: "HTTP \(status) without a Kling envelope: \(snippet)", httpStatus: status)
        }
        guard envelope.code == 0 else {
            throw KlingError(kind: .api, message: envelope.message, code: envelope.code,
                             requestID: envelope.requestID, httpStatus: status)
        }
        guard let payload = envelope.data else {
            throw KlingError(kind: .api, message: "answer with code 0 but no data", code: 0,
                             requestID: envelope.requestID, httpStatus: status)
        }
        return payload
    }

    /// The answers klip reads most are read by `WireJSONReader`; nil leaves it to `JSONDecoder`.
    static func wireEnvelope<Payload>(_ bytes: ByteBuffer, of: Payload.Type) -> Envelope<Payload>? {
        guard let wire = Envelope<Payload>.self as? any WireJSONDecodable.Type else { return nil }
        return bytes.withUnsafeReadableBytes { wire.fromWire($0) } as? Envelope<Payload>
    }

    static func encode(_ body: any Encodable & Sendable) throws(KlingError) -> ByteBuffer {
        if let wire = body as? any WireJSONEncodable { return try wire.wireJSON() }
        do { return ByteBuffer(bytes: try JSONEncoder().encode(body)) } catch {
            throw KlingError(kind: .validation, message: "cannot encode the request: \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: error)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
