import Foundation
import KlingAPI
import Testing

@Suite struct RetryTests {
    @Test func rateLimited1303ThenSuccessIsRetriedAfterAtLeastOneSecond() async throws {
        let server = try await ScriptedServer { _, n in
            n == 1 ? ScriptedServer.error(.tooManyRequests, 1303, "parallel task over resource pack limit")
                   : ScriptedServer.ok(taskJSON("processing"))
        }
        let started = ContinuousClock.now
        let task: LipSyncTask
        do { task = try await client(for: server).task(id: "842250903629086785") } catch {
            await server.stop()
            throw error
        }
        #expect(task.taskStatus == .processing)
        #expect(await server.received.count == 2)
        #expect(ContinuousClock.now - started >= .seconds(1))
        await server.stop()
    }

    @Test(arguments: [(1102, 429), (1201, 400), (1000, 401), (1304, 429)])
    func nonRetryableCodesAreNotRetried(code: Int, status: Int) async throws {
        let server = try await ScriptedServer { _, _ in
            ScriptedServer.Answer(status: .init(code: status), body: ScriptedServer.envelope(code: code, message: "no"))
        }
        do {
            _ = try await client(for: server).task(id: "1")
            Issue.record("no error")
        } catch {
            #expect(error.kind == .api)
            #expect(error.code == code)
            #expect(error.httpStatus == status)
            #expect(error.requestID?.hasPrefix("req-") == true)
        }
        #expect(await server.received.count == 1)
        await server.stop()
    }

    @Test func createWithoutExternalIDIsNotRetriedButWithOneIs() async throws {
        let server = try await ScriptedServer { _, n in
            n == 1 ? ScriptedServer.error(.internalServerError, 5000) : ScriptedServer.ok(taskJSON("submitted"))
        }
        let c = client(for: server)
        var request = validRequest()
        await #expect { try await c.createLipSync(request) } throws: { ($0 as? KlingError)?.code == 5000 }
        #expect(await server.received.count == 1)
        request.externalTaskID = "clip-1"
        // Server now answers 0 on the second request; make it fail first again.
        let again = try await ScriptedServer { _, n in
            n == 1 ? ScriptedServer.error(.serviceUnavailable, 5001) : ScriptedServer.ok(taskJSON("submitted"))
        }
        let created = try await client(for: again).createLipSync(request)
        #expect(created.taskStatus == .submitted)
        #expect(await again.received.count == 2)
        await server.stop()
        await again.stop()
    }

    @Test func aCreateRefusedWith1303IsRetriedEvenWithoutAnExternalID() async throws {
        // 1303 refuses before creating anything, so sending again cannot bill twice.
        let server = try await ScriptedServer { _, n in
            n == 1 ? ScriptedServer.error(.tooManyRequests, 1303) : ScriptedServer.ok(taskJSON("submitted"))
        }
        let created = try await client(for: server).createLipSync(validRequest())
        #expect(created.taskStatus == .submitted)
        #expect(await server.received.count == 2)
        await server.stop()
    }

    @Test func aCreateWhoseAnswerWasCutShortIsFoundByItsExternalIDNotCreatedTwice() async throws {
        // 1: the create is committed but its answer is truncated; 2: the retry meets the
        // duplicate external_task_id; 3: the client asks for the task by that id.
        let server = try await ScriptedServer { received, n in
            switch n {
            case 1: ScriptedServer.Answer(status: .ok, body: #"{"code":0,"message":"SUCC"#)
            case 2: ScriptedServer.error(.badRequest, 1201, "invalid external_task_id: clip-9 is already used by another task")
            default: received.method == "GET" && received.path.hasSuffix("/clip-9")
                ? ScriptedServer.ok(taskJSON("processing", id: "777"))
                : ScriptedServer.error(.notFound, 1203)
            }
        }
        var request = validRequest()
        request.externalTaskID = "clip-9"
        let created = try? await client(for: server).createLipSync(request)
        #expect(created?.taskID == "777")
        let received = await server.received
        #expect(received.map(\.method) == ["POST", "POST", "GET"], "\(received.map(\.path))")
        await server.stop()
    }

    @Test func attemptsAreBounded() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.error(.gatewayTimeout, 5002) }
        let policy = RetryPolicy(maxAttempts: 3, minimumDelay: .milliseconds(10), baseDelay: .milliseconds(10), maximumDelay: .milliseconds(20))
        await #expect { try await client(for: server, retry: policy).task(id: "1") } throws: { ($0 as? KlingError)?.code == 5002 }
        #expect(await server.received.count == 3)
        await server.stop()
    }

    @Test func connectionRefusedIsANetworkErrorAndRetried() async throws {
        // Bind and close a server to find a port nobody listens on.
        let server = try await ScriptedServer { _, _ in ScriptedServer.ok("{}") }
        let url = server.baseURL
        await server.stop()
        let policy = RetryPolicy(maxAttempts: 2, minimumDelay: .milliseconds(10), baseDelay: .milliseconds(10), maximumDelay: .milliseconds(20))
        let c = KlingClient(configuration: KlingConfiguration(baseURL: url, credentials: .apiKey("k"), retry: policy))
        await #expect { try await c.task(id: "1") } throws: { ($0 as? KlingError)?.kind == .network }
    }

    @Test func backoffIsJitteredCappedAndNeverUnderOneSecond() {
        let policy = RetryPolicy.default
        var seen = Set<Int>()
        for retry in 0..<8 {
            for _ in 0..<50 {
                let d = policy.delay(beforeRetry: retry)
                #expect(d >= .seconds(1))
                #expect(d <= .seconds(min(30, pow(2, Double(retry)))))
                seen.insert(Int(d.components.attoseconds / 1_000_000_000_000_000))
            }
        }
        #expect(seen.count > 5, "delays should be jittered")
        #expect(RetryPolicy.isRetryable(KlingError(kind: .api, message: "", code: 1302)))
        #expect(!RetryPolicy.isRetryable(KlingError(kind: .api, message: "", code: 1101)))
        #expect(!RetryPolicy.isRetryable(KlingError(kind: .api, message: "", code: nil, httpStatus: 429)))
    }
}

@Suite struct AuthTests {
    @Test func jwtIsResignedAndRetriedOnceOn1004() async throws {
        let server = try await ScriptedServer { _, n in
            n == 1 ? ScriptedServer.error(.unauthorized, 1004, "token expired") : ScriptedServer.ok(taskJSON("submitted"))
        }
        let c = client(for: server, credentials: .accessKey(access: "AK-test", secret: "SK-secret"))
        _ = try await c.task(id: "1")
        let received = await server.received
        #expect(received.count == 2)
        for r in received {
            let token = try #require(r.authorization?.replacingOccurrences(of: "Bearer ", with: ""))
            let claims = try KlingJWT.verify(token) { $0 == "AK-test" ? "SK-secret" : nil }
            #expect(claims.iss == "AK-test")
        }
        await server.stop()
    }

    @Test func aSecond1003IsNotRetriedAgainAndStaticKeysAreNotRetried() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.error(.unauthorized, 1003, "not yet valid") }
        await #expect { try await client(for: server, credentials: .accessKey(access: "a", secret: "s")).task(id: "1") } throws: {
            ($0 as? KlingError)?.code == 1003
        }
        #expect(await server.received.count == 2)
        let keyServer = try await ScriptedServer { _, _ in ScriptedServer.error(.unauthorized, 1004) }
        await #expect(throws: KlingError.self) { try await client(for: keyServer).task(id: "1") }
        #expect(await keyServer.received.count == 1)
        await server.stop()
        await keyServer.stop()
    }

    @Test func bothDeploymentsPrefixesAndTheStaticBearerKey() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.ok("[]") }
        _ = try await client(for: server, prefix: "/kling/v1").listTasks(page: 2, size: 10)
        _ = try await client(for: server, prefix: "/v1/").listTasks()
        let paths = await server.received.map(\.path)
        #expect(paths == ["/kling/v1/videos/advanced-lip-sync?pageNum=2&pageSize=10",
                          "/v1/videos/advanced-lip-sync?pageNum=1&pageSize=30"])
        #expect(await server.received.first?.authorization == "Bearer test-key-123")
        await server.stop()
    }

    @Test func secretsNeverAppearInDescriptionsOrErrors() async throws {
        let server = try await ScriptedServer { _, _ in ScriptedServer.error(.unauthorized, 1002, "invalid token") }
        let secret = "SK-VERY-SECRET-9f8e7d"
        let config = KlingConfiguration(baseURL: server.baseURL, credentials: .accessKey(access: "AK-visible", secret: secret))
        #expect(!config.description.contains(secret))
        #expect(!"\(config)".contains(secret))
        do {
            _ = try await KlingClient(configuration: config).task(id: "1")
        } catch {
            #expect(!error.description.contains(secret))
            #expect(!error.message.contains(secret))
        }
        await server.stop()
    }
}
