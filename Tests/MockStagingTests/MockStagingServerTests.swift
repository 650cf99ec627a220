import AsyncHTTPClient
import MockStaging
import NIOWebSocket
import TrafficModel
import XCTest

/// Real servers on 127.0.0.1:0, real clients over real sockets.
final class MockStagingServerTests: XCTestCase {
    var http: HTTPClient!

    override func setUp() {
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    override func tearDown() async throws {
        try await http.shutdown()
    }

    private func start(_ recordings: [Recording], _ configure: (inout MockStagingServer.Configuration) -> Void = { _ in }) async throws -> MockStagingServer {
        var configuration = MockStagingServer.Configuration(port: 0)
        configure(&configuration)
        return try await MockStagingServer.start(recordings: recordings, configuration: configuration)
    }

    private func accessToken(_ body: String) throws -> String {
        let json = try JSONParser.parse(body)
        return try XCTUnwrap(json["access_token"]?.stringValue)
    }

    // MARK: - WebSocket sessions

    func testShippedRecordingReproducesAuthRequiredAndPolicyViolationClose() async throws {
        let server = try await start([try TestRecordings.shipped("auth-required.json")])
        let login = try await Clients.http(
            http, .POST, server.baseURL + "/auth/token", headers: [("Content-Type", "application/json")],
            body: #"{"password":"correct horse","username":"alice"}"#  // member order differs: JSON-aware
        )
        XCTAssertEqual(login.status, 200)
        let token = try accessToken(login.body)

        let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws", authorization: "Bearer \(token)")
        XCTAssertEqual(outcome.texts.count, 1)
        let frame = try JSONParser.parse(XCTUnwrap(outcome.texts.first))
        XCTAssertEqual(frame["type"]?.stringValue, "error_message")
        XCTAssertEqual(frame["error_code"]?.stringValue, "AUTH_REQUIRED")
        XCTAssertEqual(frame["details"]?["error"]?.stringValue, "user_context must be a UserExecutionContext instance")
        XCTAssertEqual(outcome.closeCode, .policyViolation)
        XCTAssertEqual(outcome.closeReason, "auth required")
        try await server.stop()
    }

    func testSuccessfulSessionWaitsForTheClientThenContinues() async throws {
        let server = try await start([TestRecordings.chat()])
        let login = try await Clients.http(
            http, .POST, server.baseURL + "/auth/token", headers: [("Content-Type", "application/json")],
            body: #"{"username":"alice","password":"pw"}"#
        )
        let token = try accessToken(login.body)
        let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(token)") { text in
            if text.contains("connection_established") { return [#"{"channel":"news","type":"subscribe"}"#] }
            if text.contains("event") { return [#"{"type":"bye"}"#] }
            return []
        }
        XCTAssertEqual(outcome.texts, [
            #"{"type":"connection_established","room":1}"#,
            #"{"type":"subscribed","channel":"news"}"#,
            #"{"type":"event","n":1}"#,
        ])
        XCTAssertEqual(outcome.closeCode, .normalClosure)
        XCTAssertEqual(outcome.closeReason, "done")
        // The server journals the end after the client has seen the close: wait for it, boundedly.
        let ended: @Sendable (JournalEntry) -> Bool = { if case .sessionEnded(_, "finished") = $0 { return true } else { return false } }
        let deadline = Date().addingTimeInterval(5)
        while !server.journal.contains(where: ended) && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertTrue(server.journal.contains(where: ended))
        try await server.stop()
    }

    func testTheMockSendsNothingMoreUntilTheClientSpeaks() async throws {
        let server = try await start([TestRecordings.chat()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.token)"]))
        let first = await connection.wait { bytes, _ in RawFrames.splitHead(bytes).map { !RawFrames.parse($0.rest).isEmpty } ?? false }
        XCTAssertTrue(first)
        // Nothing else arrives while the recorded client message is awaited.
        try await Task.sleep(for: .milliseconds(300))
        let (head, rest) = try XCTUnwrap(RawFrames.splitHead(connection.received))
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101"), head)
        XCTAssertTrue(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "Sec-WebSocket-Accept from the live key: \(head)")
        XCTAssertEqual(RawFrames.parse(rest).map(\.text), [#"{"type":"connection_established","room":1}"#])

        try await connection.send(RawFrames.text(#"{"type":"subscribe","channel":"news"}"#))
        let three = await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 3 }
        XCTAssertTrue(three)
        await connection.close()
        try await server.stop()
    }

    func testRecorded401BeforeUpgradeIsReplayedAs401() async throws {
        let server = try await start([TestRecordings.chat()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/ws?room=1"))
        let complete = await connection.wait { bytes, _ in bytes.count >= 4 && String(decoding: bytes, as: UTF8.self).hasSuffix(#"{"error":"missing_token"}"#) }
        XCTAssertTrue(complete, String(decoding: connection.received, as: UTF8.self))
        let (head, body) = try XCTUnwrap(RawFrames.splitHead(connection.received))
        XCTAssertEqual(head.split(separator: "\r\n").first, "HTTP/1.1 401 Unauthorized")
        // Recorded header order and case, Content-Length made true.
        XCTAssertEqual(Array(head.split(separator: "\r\n").dropFirst()), ["WWW-Authenticate: Bearer", "Content-Length: 25"])
        XCTAssertEqual(String(decoding: body, as: UTF8.self), #"{"error":"missing_token"}"#)
        await connection.close()

        do {
            _ = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1")
            XCTFail("the upgrade must be refused")
        } catch {
            // swift-websocket reports the refused upgrade as an error.
        }
        try await server.stop()
    }

    func testTamperedAndMissingTokensMatchTheRejectionsWhileTheIssuedTokenMatchesTheSuccess() async throws {
        let server = try await start([TestRecordings.chat()])
        let tampered = try await Clients.refusedUpgrade(
            port: server.port, "/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.jwt(sub: "alice", signature: "b3RoZXI"))"]
        )
        XCTAssertEqual(tampered.status, 401)
        XCTAssertEqual(tampered.body, #"{"error":"invalid_token"}"#)

        let anonymous = try await Clients.refusedUpgrade(port: server.port, "/ws?room=1")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.body, #"{"error":"missing_token"}"#)

        let login = try await Clients.http(http, .POST, server.baseURL + "/auth/token", body: #"{"username":"alice","password":"pw"}"#)
        let token = try accessToken(login.body)
        let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(token)") { text in
            text.contains("connection_established") ? [#"{"type":"subscribe","channel":"news"}"#] : text.contains("event") ? [#"{"type":"bye"}"#] : []
        }
        XCTAssertEqual(outcome.texts.first, #"{"type":"connection_established","room":1}"#)
        XCTAssertEqual(outcome.closeCode, .normalClosure)

        let classes = server.journal.compactMap { entry -> String? in
            if case .served(_, _, let status, let authClass, _, _) = entry { return "\(status) \(authClass.rawValue)" }
            return nil
        }
        XCTAssertEqual(classes, ["401 unknown", "401 absent", "200 absent", "101 issued"])
        try await server.stop()
    }

    func testStrictMismatchClosesWith1008AndJournalsTheDifference() async throws {
        let server = try await start([TestRecordings.chat()])
        let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(TestRecordings.token)") { text in
            text.contains("connection_established") ? [#"{"type":"unsubscribe"}"#] : []
        }
        XCTAssertEqual(outcome.texts, [#"{"type":"connection_established","room":1}"#])
        XCTAssertEqual(outcome.closeCode, .policyViolation)
        XCTAssertTrue(outcome.closeReason?.hasPrefix(#"unexpected message: message: $.type expected "subscribe", got "unsubscribe""#) ?? false, outcome.closeReason ?? "no reason")
        let mismatches = server.journal.filter { if case .webSocketMismatch = $0 { return true } else { return false } }
        XCTAssertEqual(mismatches.count, 1)
        if case .webSocketMismatch(let reference, let differences, let action)? = mismatches.first {
            XCTAssertEqual(reference.session, "s2")
            XCTAssertEqual(action, "closed 1008")
            XCTAssertTrue(differences.first?.contains("unsubscribe") ?? false, "\(differences)")
        }
        try await server.stop()
    }

    func testLenientMismatchIsLoggedAndIgnored() async throws {
        let server = try await start([TestRecordings.chat()]) { $0.mismatchPolicy = .lenient }
        let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(TestRecordings.token)") { text in
            if text.contains("connection_established") { return [#"{"type":"unsubscribe"}"#, #"{"type":"subscribe","channel":"news"}"#] }
            if text.contains("event") { return [#"{"type":"bye"}"#] }
            return []
        }
        XCTAssertEqual(outcome.texts.count, 3)
        XCTAssertEqual(outcome.closeCode, .normalClosure)
        let actions = server.journal.compactMap { entry -> String? in
            if case .webSocketMismatch(_, _, let action) = entry { return action }
            return nil
        }
        XCTAssertEqual(actions, ["ignored (lenient)"])
        try await server.stop()
    }

    func testRecordedFragmentationIsKeptAndACutEndsWithoutACloseFrame() async throws {
        var recording = TestRecordings.chat()
        let fragmented = WebSocketMessage(
            direction: .server, at: 1.2, opcode: .text, payload: .text("hello"),
            frames: [WebSocketFrameInfo(fin: false, opcode: .text, length: 3, masked: false),
                     WebSocketFrameInfo(fin: true, opcode: .continuation, length: 2, masked: false)]
        )
        recording.sessions[1].websocket?.messages = [fragmented, TestRecordings.server(1.3, "bye")]
        recording.sessions[1].end = SessionEnd(kind: .cut, at: 1.4, by: nil)
        let server = try await start([recording])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.token)"]))
        let bytes = await connection.readToEnd()
        XCTAssertTrue(connection.isClosed)
        let frames = RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? [])
        XCTAssertEqual(frames, [
            RawFrames.Frame(fin: false, opcode: 1, payload: Array("hel".utf8)),
            RawFrames.Frame(fin: true, opcode: 0, payload: Array("lo".utf8)),
            RawFrames.Frame(fin: true, opcode: 1, payload: Array("bye".utf8)),
        ])
        XCTAssertTrue(server.journal.contains { if case .sessionEnded(_, let how) = $0 { return how.hasPrefix("cut") } else { return false } })
        try await server.stop()
    }

    // MARK: - HTTP replay

    func testRepeatedRequestsAreServedInOrderThenTheLastRepeats() async throws {
        let server = try await start([TestRecordings.counter()])
        var bodies: [String] = []
        for _ in 0..<5 {
            // Query order differs from the recording: an order-insensitive multiset.
            bodies.append(try await Clients.http(http, .GET, server.baseURL + "/counter?a=1&b=2").body)
        }
        XCTAssertEqual(bodies, ["count 1", "count 2", "count 3", "count 3", "count 3"])
        try await server.stop()

        let failing = try await start([TestRecordings.counter()]) { $0.exhaustion = .fail }
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await Clients.http(http, .GET, failing.baseURL + "/counter?a=1&b=2").status) }
        XCTAssertEqual(statuses, [200, 200, 200, 404])
        try await failing.stop()
    }

    func testPipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await start([TestRecordings.counter()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(
            "GET /other HTTP/1.1\r\nHost: x\r\n\r\nGET /counter?b=2&a=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /counter?a=1&b=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        let text = String(decoding: await connection.readToEnd(), as: UTF8.self)
        let expected = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nother"
            + "HTTP/1.1 200 OK\r\nX-Count: 1\r\nContent-Length: 7\r\n\r\ncount 1"
            + "HTTP/1.1 200 OK\r\nX-Count: 2\r\nContent-Length: 7\r\n\r\ncount 2"
        XCTAssertEqual(text.replacingOccurrences(of: "connection: close\r\n", with: ""), expected)
        try await server.stop()
    }

    func testNearMiss404NamesTheRecordingSessionAndWhatDiffered() async throws {
        let server = try await start([TestRecordings.counter(), TestRecordings.chat()])
        let response = try await Clients.refusedUpgrade(port: server.port, "/ws?room=2")
        XCTAssertEqual(response.status, 404)
        let json = try JSONParser.parse(response.body)
        let nearest = try XCTUnwrap(json["nearMisses"]?.arrayValue?.first)
        XCTAssertEqual(nearest["recorded"]?["recording"]?.stringValue, "chat")
        XCTAssertEqual(nearest["recorded"]?["session"]?.stringValue, "s4")
        let differences = nearest["differences"]?.arrayValue?.compactMap { $0["difference"]?.stringValue } ?? []
        XCTAssertEqual(differences, [#"query parameter room: expected "1", got "2""#])

        let body = try await Clients.http(http, .POST, server.baseURL + "/auth/token", body: #"{"username":"bob","password":"pw"}"#)
        XCTAssertEqual(body.status, 404)
        XCTAssertTrue(body.body.contains("s1"), body.body)
        XCTAssertTrue(body.body.contains(#"body: $.username expected \"alice\", got \"bob\""#), "the body difference is named by its JSON path: \(body.body)")
        try await server.stop()
    }

    // MARK: - Pacing, determinism, admin

    func testRecordedPacingKeepsTheGapsAndFastDoesNot() async throws {
        func elapsed(_ pacing: Pacing) async throws -> Duration {
            let server = try await start([TestRecordings.chat(gap: 0.15)]) { $0.pacing = pacing }
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(TestRecordings.token)") { text in
                text.contains("connection_established") ? [#"{"type":"subscribe","channel":"news"}"#] : text.contains("event") ? [#"{"type":"bye"}"#] : []
            }
            let time = clock.now - start
            try await server.stop()
            return time
        }
        let recorded = try await elapsed(.recorded)
        // Five gaps of 0.15 s are recorded between server messages.
        XCTAssertGreaterThan(recorded, .milliseconds(600))
        let fast = try await elapsed(.fast)
        XCTAssertLessThan(fast, recorded)
    }

    func testTwentyRunsGiveByteIdenticalFrames() async throws {
        let server = try await start([try TestRecordings.shipped("auth-required.json")])
        let token = try XCTUnwrap(TestRecordings.shippedToken)
        var outputs: Set<[UInt8]> = []
        for _ in 0..<20 {
            let connection = try await RawConnection.connect(port: server.port)
            try await connection.send(RawFrames.handshake("/ws", headers: ["Authorization: Bearer \(token)"]))
            let closed = await connection.wait { bytes, _ in
                RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).contains { $0.opcode == 8 }
            }
            XCTAssertTrue(closed)
            try await connection.send(RawFrames.close(1008, "auth required"))
            outputs.insert(await connection.readToEnd())
            await connection.close()
        }
        XCTAssertEqual(outputs.count, 1)
        let frames = RawFrames.parse(RawFrames.splitHead(try XCTUnwrap(outputs.first))?.rest ?? [])
        XCTAssertEqual(frames.map(\.opcode), [1, 8])
        XCTAssertEqual(frames.last?.closeCode, 1008)
        try await server.stop()
    }

    func testAdminHealthJournalAndReset() async throws {
        let server = try await start([TestRecordings.counter()])
        let health = try await Clients.http(http, .GET, server.baseURL + "/__authreplay/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try JSONParser.parse(health.body)["exchanges"]?.intValue, 4)

        _ = try await Clients.http(http, .GET, server.baseURL + "/counter?a=1&b=2")
        _ = try await Clients.http(http, .GET, server.baseURL + "/nowhere")
        let journal = try JSONParser.parse(try await Clients.http(http, .GET, server.baseURL + "/__authreplay/journal").body)
        XCTAssertEqual(journal.arrayValue?.compactMap { $0["event"]?.stringValue }, ["served", "unmatched"])

        let reset = try await Clients.http(http, .POST, server.baseURL + "/__authreplay/reset")
        XCTAssertEqual(reset.status, 200)
        let again = try await Clients.http(http, .GET, server.baseURL + "/counter?a=1&b=2")
        XCTAssertEqual(again.body, "count 1")
        XCTAssertEqual(server.journal.count, 1)
        try await server.stop()
    }

    func testLimitsAreEnforced() async throws {
        let server = try await start([TestRecordings.counter()]) {
            $0.maxMessageSize = 64
            $0.idleTimeout = 0.3
        }
        let big = try await Clients.http(http, .POST, server.baseURL + "/counter", body: String(repeating: "x", count: 200))
        XCTAssertEqual(big.status, 413)
        // The idle timeout closes a silent connection.
        let idle = try await RawConnection.connect(port: server.port)
        let closedWhenIdle = await idle.wait(timeout: .seconds(3)) { _, closed in closed }
        XCTAssertTrue(closedWhenIdle)
        try await server.stop()
    }

    /// With `maxConnections` open, connection N+1 is closed by the server
    /// without an answer while the first N stay open and keep being served; a
    /// slot freed by a client is given to the next connection. (The idle and
    /// head timeouts are far away: only the limit can close a connection here.)
    func testTheConnectionOverTheLimitIsClosedWhileTheOthersStayOpen() async throws {
        let limit = 2
        let server = try await start([TestRecordings.counter()]) {
            $0.maxConnections = limit
            $0.idleTimeout = 60
            $0.headTimeout = 60
        }
        // Admitted: answered (so the server has registered it) and still open.
        var open: [RawConnection] = []
        for n in 0..<limit {
            let connection = try await RawConnection.connect(port: server.port)
            let answered = await Self.get("/other", on: connection)
            XCTAssertTrue(answered, "connection \(n + 1) of \(limit) is served: \(connection.text)")
            open.append(connection)
        }

        let extra = try await RawConnection.connect(port: server.port)
        try? await extra.send("GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let closedByServer = await extra.wait(timeout: .seconds(5)) { _, closed in closed }
        XCTAssertTrue(closedByServer, "connection \(limit + 1) must be closed by the server: \(extra.text)")
        XCTAssertEqual(extra.text, "", "connection \(limit + 1) must not be answered")

        for (n, connection) in open.enumerated() {
            XCTAssertFalse(connection.isClosed, "connection \(n + 1) stays open")
            let answered = await Self.get("/other", on: connection, responses: 2)
            XCTAssertTrue(answered, "connection \(n + 1) is still served: \(connection.text)")
        }

        // A client leaves: the server frees its slot once it has seen the close
        // (asynchronously, hence the retries), and a new connection is served.
        await open.removeFirst().close()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        var admittedAgain = false
        while !admittedAgain && ContinuousClock.now < deadline {
            let next = try await RawConnection.connect(port: server.port)
            admittedAgain = await Self.get("/other", on: next)
            await next.close()
        }
        XCTAssertTrue(admittedAgain, "the freed slot is given to a new connection")
        for connection in open { await connection.close() }
        try await server.stop()
    }

    /// Sends `GET path` and waits until the connection has received `responses`
    /// complete `other` responses (true) or the server closed it first (false).
    private static func get(_ path: String, on connection: RawConnection, responses: Int = 1) async -> Bool {
        try? await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let body = "\r\n\r\nother"
        await connection.wait { _, closed in closed || connection.text.components(separatedBy: body).count > responses }
        return connection.text.components(separatedBy: body).count > responses
    }
}

extension TestRecordings {
    static var shippedToken: String? {
        guard let recording = try? shipped("auth-required.json") else { return nil }
        return recording.sessions[1].exchanges[0].request.headers.first("Authorization").map { String($0.dropFirst("Bearer ".count)) }
    }
}
