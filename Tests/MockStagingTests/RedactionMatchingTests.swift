import AsyncHTTPClient
import MockStaging
import NIOWebSocket
import TrafficModel
import XCTest

/// Symmetric redaction: the mock serves a redacted recording and redacts live
/// requests and client messages the same way before comparing them.
final class RedactionMatchingTests: XCTestCase {
    private func redactedChat() -> Recording {
        Redactor().redact(TestRecordings.chat()).0
    }

    func testTheOriginalAndTheRedactedTokenBothMatchExactly() throws {
        var matcher = ExchangeMatcher(recordings: [(name: "chat", recording: redactedChat())])
        XCTAssertNotNil(matcher.redactor)
        let redactedToken = Redactor().redact(value: TestRecordings.token)
        XCTAssertNotEqual(redactedToken, TestRecordings.token)
        for token in [redactedToken, TestRecordings.token] {
            let request = TestRecordings.request(9, "GET", "/ws?room=1", headers: TestRecordings.upgradeHeaders + [HeaderField("Authorization", "Bearer \(token)")])
            guard case .matched(let match) = matcher.match(request, now: 0) else { return XCTFail("no match for \(token.prefix(12))…") }
            XCTAssertTrue(match.exactCredential)
            XCTAssertEqual(match.response.status, 101)
        }
        // The real password matches the redacted login body.
        let login = TestRecordings.request(9, "POST", "/auth/token", headers: [HeaderField("Content-Type", "application/json")], body: #"{"username":"alice","password":"pw"}"#)
        guard case .matched = matcher.match(login, now: 0) else { return XCTFail("login did not match") }
        // A different password does not.
        let wrong = TestRecordings.request(9, "POST", "/auth/token", headers: [HeaderField("Content-Type", "application/json")], body: #"{"username":"alice","password":"nope"}"#)
        guard case .unmatched = matcher.match(wrong, now: 0) else { return XCTFail("a wrong password matched") }
        // An unredacted recording is matched as before, without redaction.
        XCTAssertNil(ExchangeMatcher(recordings: [(name: "chat", recording: TestRecordings.chat())]).redactor)
    }

    func testClientMessagesAreRedactedBeforeTheyAreCompared() {
        let secret = "opaque-client-secret-0123456789"
        var upgraded = TestRecordings.switching
        upgraded.at = 1.01
        let session = TestRecordings.session("w", start: 1, [HTTPExchange(request: TestRecordings.request(1, "GET", "/ws", headers: TestRecordings.upgradeHeaders), response: upgraded)],
                                             websocket: WebSocketSession(messages: [
                                                 TestRecordings.client(1.1, #"{"type":"auth","token":"\#(secret)"}"#),
                                                 TestRecordings.server(1.2, #"{"type":"ok"}"#),
                                             ]))
        let recording = Recording(source: Source(kind: .handWritten, name: "w", tool: "tests"), capturedAt: Timestamp(seconds: 0), sessions: [session])
        let redacted = Redactor().redact(recording).0.sessions[0]
        XCTAssertFalse(redacted.websocket!.messages[0].payload.text!.contains(secret))
        let live = TestRecordings.client(5, #"{"type":"auth","token":"\#(secret)"}"#)

        var script = SessionScript(session: redacted, upgradedAt: 1.01, pacing: .fast, policy: .strict, exactPayloads: true, redactor: Redactor())
        XCTAssertEqual(script.next(), .awaitClient)
        guard case .send(let answer, _) = script.received(live) else { return XCTFail("the original secret did not match") }
        XCTAssertEqual(answer.payload.text, #"{"type":"ok"}"#)

        var plain = SessionScript(session: redacted, upgradedAt: 1.01, pacing: .fast, policy: .strict, exactPayloads: true)
        _ = plain.next()
        guard case .close(1008, _, _) = plain.received(live) else { return XCTFail("without the redactor the secret should not match") }
    }

    func testAMockServingARedactedRecordingAnswersTheSameClient() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let server = try await MockStagingServer.start(recordings: [redactedChat()])
        do {
            let login = try await Clients.http(
                http, .POST, server.baseURL + "/auth/token", headers: [("Content-Type", "application/json")],
                body: #"{"username":"alice","password":"pw"}"#
            )
            XCTAssertEqual(login.status, 200)
            let handedOut = try XCTUnwrap(try JSONParser.parse(login.body)["access_token"]?.stringValue)
            let jwt = try XCTUnwrap(JWT(handedOut))
            XCTAssertEqual(jwt.claims["sub"]?.stringValue, "alice")
            XCTAssertTrue(jwt.encodedSignature.hasPrefix("REDACTED"))
            XCTAssertFalse(login.body.contains(TestRecordings.token))

            let conversation: @Sendable (String) -> [String] = { text in
                if text.contains("connection_established") { return [#"{"type":"subscribe","channel":"news"}"#] }
                if text.contains("event") { return [#"{"type":"bye"}"#] }
                return []
            }
            // The token the mock handed out, then the original one: both get the recorded session.
            for token in [handedOut, TestRecordings.token] {
                let outcome = try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws?room=1", authorization: "Bearer \(token)", reply: conversation)
                XCTAssertEqual(outcome.texts.count, 3, "with \(token == handedOut ? "the handed-out" : "the original") token")
                XCTAssertEqual(outcome.closeCode, .normalClosure)
            }
            // The tampered token is still refused as recorded.
            let refused = try await Clients.refusedUpgrade(port: server.port, "/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.tampered)"])
            XCTAssertEqual(refused.status, 401)
            XCTAssertTrue(refused.body.contains("invalid_token"))
        } catch {
            try await server.stop()
            try await http.shutdown()
            throw error
        }
        try await server.stop()
        try await http.shutdown()
    }
}
