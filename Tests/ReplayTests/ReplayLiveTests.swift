import Foundation
import NIOCore
import NIOPosix
import Replay
import TrafficModel
import XCTest

/// Replays against real servers on loopback.
final class ReplayLiveTests: XCTestCase {
    func replay(
        _ recording: Recording, against url: String, sessions: [String] = [], timeout: Double = 5,
        resigner: JWTResigner? = nil, repetitions: Int = 1, concurrency: Int = 1, now: Double = Date().timeIntervalSince1970
    ) async throws -> ReplayReport {
        let target = try ReplayTarget(url: url)
        let plan = try ReplayPlan.build([.init(name: "staging.json", recording: recording)], sessions: sessions, target: target)
        let options = ReplayOptions(target: target, timeout: timeout, concurrency: concurrency, repetitions: repetitions, resigner: resigner)
        return await ReplayDriver().run(plan, options: options, now: now)
    }

    func testServerBehavingAsRecordedPassesDespiteFreshTokensUUIDsAndTimestamps() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: server.url)
        XCTAssertEqual(report.results.map(\.verdict), [.passed, .passed], report.lines.joined(separator: "\n"))
        XCTAssertEqual(report.summaryLine, "2 passed, 0 failed")
        XCTAssertEqual(report.exitCode, 0)
        // Chaining: the handshake carried the token the live login issued, not the recorded one.
        let issued = server.issued.withLock { $0 }
        let presented = server.presented.withLock { $0 }
        XCTAssertEqual(issued.count, 1)
        XCTAssertEqual(presented, issued)
        XCTAssertNotEqual(presented.first, StagingRecordings.recordedToken)
    }

    func testContextRegressionFailsWithTheTypeAndErrorCodeDiff() async throws {
        let server = try await TestStagingServer.start(.contextRegression)
        defer { Task { await server.stop() } }
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: server.url)
        XCTAssertEqual(report.results.map(\.verdict), [.passed, .failed])
        XCTAssertEqual(report.summaryLine, "1 passed, 1 failed")
        XCTAssertEqual(report.exitCode, 1)
        let diff = report.results[1].differences
        let first = try XCTUnwrap(diff.first { $0.hasPrefix("server message 1:") }, diff.joined(separator: "\n"))
        XCTAssertTrue(first.contains(#"$.type expected "connection_established", got "error_message""#), first)
        XCTAssertTrue(first.contains(#"$.error_code new "AUTH_REQUIRED""#), first)
        XCTAssertTrue(diff.contains { $0.hasPrefix("server message 2: expected text") && $0.hasSuffix("got nothing") }, diff.joined(separator: "\n"))
        XCTAssertTrue(diff.contains("close: expected close 1000 by the client, got close 1008 by the server"), diff.joined(separator: "\n"))
    }

    /// Each result carries what the target really did, as a session: the
    /// requests as sent (the live token chained in), the live answers, the
    /// messages both ways in order and the close.
    func testTheObservedSessionIsWhatTheTargetDid() async throws {
        let server = try await TestStagingServer.start(.contextRegression)
        defer { Task { await server.stop() } }
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: server.url)
        let login = try XCTUnwrap(report.results[0].observed)
        XCTAssertEqual(login.exchanges.map { $0.response?.status }, [200])
        let ws = try XCTUnwrap(report.results[1].observed)
        XCTAssertEqual(ws.exchanges.first?.request.headers.first("Authorization"), "Bearer " + (server.issued.withLock { $0 }.first ?? "?"))
        XCTAssertEqual(ws.exchanges.first?.response?.status, 101)
        let messages = try XCTUnwrap(ws.websocket?.messages)
        XCTAssertEqual(messages.first?.direction, .server)
        XCTAssertTrue(messages.first?.payload.text?.contains("AUTH_REQUIRED") == true, "\(messages)")
        XCTAssertEqual(ws.websocket?.close?.code, 1008)
        XCTAssertEqual(messages.last.map { [$0.direction.rawValue, $0.opcode.rawValue] }, ["client", "close"], "the client answered the close")
        XCTAssertEqual(messages.map(\.at), messages.map(\.at).sorted(), "in the order they happened")
        XCTAssertEqual(ws.server.port, UInt16(try ReplayTarget(url: server.url).port))
    }

    /// The regressed server closes (1008) where two more messages were
    /// recorded, then waits for the client's close without dropping the
    /// connection. Nothing can follow a close frame (RFC 6455 §5.5.1): the
    /// replay answers it at once instead of waiting out its timeout for the
    /// missing messages.
    func testAServerCloseIsAnsweredWithoutWaitingForTheMessagesItCutOff() async throws {
        let server = try await TestStagingServer.start(.contextRegression)
        defer { Task { await server.stop() } }
        var recording = StagingRecordings.loginThenWebSocket
        let started = WebSocketMessage(direction: .server, at: 1.5, opcode: .text, payload: .text(#"{"type":"agent_started","run_id":"6f0d2c4b-9a1e-4b7f-8c3d-5e2a1f0b9c84"}"#))
        recording.sessions[1].websocket?.messages.insert(started, at: 2)
        let timeout = 10.0
        let clock = ContinuousClock()
        var report: ReplayReport!
        let elapsed = try await clock.measure { report = try await replay(recording, against: server.url, timeout: timeout) }
        XCTAssertEqual(report.results.map(\.verdict), [.passed, .failed])
        let diff = report.results[1].differences
        XCTAssertTrue(diff.contains("close: expected close 1000 by the client, got close 1008 by the server"), diff.joined(separator: "\n"))
        XCTAssertFalse(diff.contains { $0.contains("within") }, diff.joined(separator: "\n"))
        XCTAssertLessThan(elapsed, .seconds(timeout / 2), "the replay waited for messages after the server's close frame")
    }

    func testUnauthorizedBeforeUpgradeFails() async throws {
        let server = try await TestStagingServer.start(.unauthorizedBeforeUpgrade)
        defer { Task { await server.stop() } }
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: server.url)
        XCTAssertEqual(report.results.map(\.verdict), [.passed, .failed])
        let diff = report.results[1].differences
        XCTAssertEqual(diff.first, "handshake (GET /ws): status expected 101 Switching Protocols, got 401 Unauthorized", diff.joined(separator: "\n"))
        XCTAssertTrue(diff.contains(#"handshake (GET /ws): header WWW-Authenticate new "bearer""#), diff.joined(separator: "\n"))
    }

    func testResigningMakesAnExpiredRecordedTokenPass() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let without = try await replay(StagingRecordings.webSocketOnly, against: server.url)
        XCTAssertEqual(without.results.map(\.verdict), [.failed])
        XCTAssertEqual(without.results[0].differences.first, "handshake (GET /ws): status expected 101 Switching Protocols, got 401 Unauthorized")

        let resigner = JWTResigner(algorithm: .hs256, secret: TestStagingServer.secret)
        let now = Date().timeIntervalSince1970
        let with = try await replay(StagingRecordings.webSocketOnly, against: server.url, resigner: resigner, now: now)
        XCTAssertEqual(with.results.map(\.verdict), [.passed], with.lines.joined(separator: "\n"))
        let sent = try XCTUnwrap(JWT(try XCTUnwrap(server.presented.withLock { $0.last })))
        // Same claims, times moved to now with the original one-hour lifetime, written as integers.
        XCTAssertEqual(sent.claims["sub"]?.stringValue, "alice")
        let iat = try XCTUnwrap(sent.claims["iat"]?.intValue)
        let exp = try XCTUnwrap(sent.claims["exp"]?.intValue)
        XCTAssertEqual(exp - iat, 3600)
        XCTAssertEqual(Double(iat), now - 1.101, accuracy: 1)
        XCTAssertEqual(sent.claims["exp"], .number(String(exp)))
    }

    func testRepeatAndConcurrencyRunEveryGroup() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: server.url, repetitions: 4, concurrency: 4)
        XCTAssertEqual(report.summaryLine, "8 passed, 0 failed", report.lines.joined(separator: "\n"))
        XCTAssertEqual(Set(report.results.map(\.name)).count, 8)
        XCTAssertEqual(server.issued.withLock { $0.count }, 4)
        XCTAssertEqual(Set(server.presented.withLock { $0 }), Set(server.issued.withLock { $0 }))
    }

    func testConnectionRefusedFailsWithAReason() async throws {
        // Bind a port, then close it: nothing listens there.
        let server = try await TestStagingServer.start()
        let url = server.url
        await server.stop()
        let started = Date()
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: url)
        XCTAssertEqual(report.summaryLine, "0 passed, 2 failed")
        XCTAssertEqual(report.results[0].differences, ["exchange 1 (POST /auth/token): cannot connect to \(url.dropFirst(7)): connection refused"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    func testSilentServerTimesOutInsteadOfHanging() async throws {
        // Accepts connections and never answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let started = Date()
        let report = try await replay(StagingRecordings.loginThenWebSocket, against: "http://127.0.0.1:\(silent.localAddress!.port!)", sessions: ["s1"], timeout: 0.5)
        XCTAssertEqual(report.results.map(\.verdict), [.failed])
        XCTAssertEqual(report.results[0].differences, ["exchange 1 (POST /auth/token): no response within 0.5 s"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }
}
