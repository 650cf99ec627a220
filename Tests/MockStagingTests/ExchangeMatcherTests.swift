import MockStaging
import TrafficModel
import XCTest

final class ExchangeMatcherTests: XCTestCase {
    private func matcher(_ recording: Recording, _ options: ExchangeMatcher.Options = .init()) -> ExchangeMatcher {
        ExchangeMatcher(recordings: [(name: recording.source.name, recording: recording)], options: options)
    }

    private func reference(_ outcome: ExchangeMatcher.Outcome) -> String? {
        if case .matched(let match) = outcome { return "\(match.reference.session)/\(match.reference.exchange)/\(match.response.status)" }
        return nil
    }

    func testRecordedRequestsAreClassifiedFromTheRecording() {
        var m = matcher(TestRecordings.chat())
        // The recorded token, presented without logging in first: exact credential equality wins.
        let ws = TestRecordings.request(0, "GET", "/ws?room=1", headers: [HeaderField("Authorization", "Bearer \(TestRecordings.token)")])
        XCTAssertEqual(reference(m.match(ws, now: 0)), "s2/0/101")
        let tampered = TestRecordings.request(0, "GET", "/ws?room=1", headers: [HeaderField("Authorization", "Bearer \(TestRecordings.jwt(sub: "alice", signature: "eHg"))")])
        XCTAssertEqual(reference(m.match(tampered, now: 0)), "s3/0/401")
    }

    func testAnotherSubjectDoesNotMatchARecordedSubject() {
        var m = matcher(TestRecordings.chat())
        let mallory = TestRecordings.request(0, "GET", "/ws?room=1", headers: [HeaderField("Authorization", "Bearer \(TestRecordings.jwt(sub: "mallory"))")])
        guard case .unmatched(let authClass, let misses) = m.match(mallory, now: 0) else { return XCTFail("matched") }
        XCTAssertEqual(authClass, .unknown)
        XCTAssertTrue(misses.contains { $0.differences.contains { $0.description == #"JWT sub: expected "alice", got "mallory""# } }, "\(misses)")
    }

    func testExpiryIsJudgedOnTheRecordedClockUnlessNowIsAsked() {
        let expiring = TestRecordings.jwt(sub: "alice", exp: 1_764_050_401, signature: "eHg")
        let request = TestRecordings.request(0, "GET", "/ws?room=1", headers: [HeaderField("Authorization", "Bearer \(expiring)")])
        var recordedClock = matcher(TestRecordings.chat())
        // At the recording's moment (1_764_050_403) it is already expired: no recorded class "expired".
        guard case .unmatched(let early, _) = recordedClock.match(request, now: 0) else { return XCTFail() }
        XCTAssertEqual(early, .expired)
        var wallClock = matcher(TestRecordings.chat(), .init(clock: .now))
        guard case .matched(let match) = wallClock.match(request, now: 1_764_050_000) else { return XCTFail() }
        XCTAssertEqual(match.authClass, .unknown)
    }

    func testJSONBodiesCompareAsJSONAndQueriesAsMultisets() {
        var m = matcher(TestRecordings.chat())
        let login = TestRecordings.request(0, "POST", "/auth/token", body: #"{ "password": "pw", "username": "alice" }"#)
        XCTAssertEqual(reference(m.match(login, now: 0)), "s1/0/200")
        var c = matcher(TestRecordings.counter())
        XCTAssertEqual(reference(c.match(TestRecordings.request(0, "GET", "/counter?a=1&b=2"), now: 0)), "c1/0/200")
        XCTAssertEqual(reference(c.match(TestRecordings.request(0, "GET", "/counter?b=2&a=1"), now: 0)), "c1/1/200")
        c.reset()
        XCTAssertEqual(reference(c.match(TestRecordings.request(0, "GET", "/counter?b=2&a=1"), now: 0)), "c1/0/200")
        guard case .unmatched(_, let misses) = c.match(TestRecordings.request(0, "GET", "/counter?a=1&b=2&b=3"), now: 0) else { return XCTFail() }
        XCTAssertEqual(misses.first?.differences.map(\.description), [#"query parameter b: expected "2", got "2", "3""#])
    }

    func testServedTokensBecomeIssued() {
        var m = matcher(TestRecordings.chat())
        XCTAssertTrue(m.state.issued.isEmpty)
        _ = m.match(TestRecordings.request(0, "POST", "/auth/token", body: #"{"username":"alice","password":"pw"}"#), now: 0)
        XCTAssertEqual(m.state.issued, [TestRecordings.token])
    }
}

final class SessionScriptTests: XCTestCase {
    private func script(_ policy: MismatchPolicy, pacing: Pacing = .fast) -> SessionScript {
        let recording = TestRecordings.chat(gap: 0.5)
        return SessionScript(session: recording.sessions[1], upgradedAt: 1.01, pacing: pacing, policy: policy)
    }

    private func client(_ text: String) -> WebSocketMessage { TestRecordings.client(0, text) }

    func testTheScriptSendsThenWaitsThenContinues() {
        var s = script(.strict, pacing: .recorded)
        guard case .send(let first, let delay) = s.next() else { return XCTFail() }
        XCTAssertEqual(first.payload, .text(#"{"type":"connection_established","room":1}"#))
        XCTAssertEqual(delay, 0.5, accuracy: 1e-9)
        XCTAssertEqual(s.next(), .awaitClient)
        XCTAssertEqual(s.next(), .awaitClient)
        guard case .send(let subscribed, _) = s.received(client(#"{"channel":"news","type":"subscribe"}"#)) else { return XCTFail() }
        XCTAssertEqual(subscribed.payload, .text(#"{"type":"subscribed","channel":"news"}"#))
        guard case .send = s.next() else { return XCTFail() }
        XCTAssertEqual(s.next(), .awaitClient)
        XCTAssertEqual(s.received(WebSocketMessage(direction: .client, at: 0, opcode: .ping, payload: .text("hi"))), .pong(.text("hi")))
        guard case .send(let close, _) = s.received(client(#"{"type":"bye"}"#)) else { return XCTFail() }
        XCTAssertEqual(close.closeCode, 1000)
        XCTAssertEqual(s.next(), .awaitClient)
        XCTAssertEqual(s.received(TestRecordings.close(.client, 0, 1000, "")), .finish)
    }

    func testStrictClosesWithPolicyViolationAndLenientIgnores() {
        var strict = script(.strict)
        _ = strict.next()
        guard case .close(let code, let reason, let differences) = strict.received(client(#"{"type":"nope"}"#)) else { return XCTFail() }
        XCTAssertEqual(code, 1008)
        XCTAssertLessThanOrEqual(reason.utf8.count, 123)
        XCTAssertTrue(reason.hasPrefix(#"unexpected message: message: $.type expected "subscribe", got "nope""#), reason)
        XCTAssertEqual(differences, [#"message: $.type expected "subscribe", got "nope""#, #"message: $.channel missing (expected "news")"#])

        var lenient = script(.lenient)
        _ = lenient.next()
        guard case .none(let ignored) = lenient.received(client(#"{"type":"nope"}"#)) else { return XCTFail() }
        XCTAssertEqual(ignored.count, 2)
        XCTAssertEqual(lenient.next(), .awaitClient)
    }

    func testARecordedCutEndsWithoutACloseFrame() {
        var session = TestRecordings.chat().sessions[1]
        session.websocket?.messages = [TestRecordings.server(1.2, "hello")]
        session.end = SessionEnd(kind: .cut, at: 1.3, by: nil)
        var s = SessionScript(session: session, upgradedAt: 1.0, pacing: .fast, policy: .strict)
        guard case .send = s.next() else { return XCTFail() }
        XCTAssertEqual(s.next(), .cut)
    }

    func testRecordedResponseFramingIsMadeTrue() {
        let recorded = HTTPResponse(
            at: 0, status: 200, reason: "OK",
            headers: [HeaderField("transfer-encoding", "chunked"), HeaderField("X-A", "1")],
            body: .text("hello"), framing: .chunked
        )
        let response = ReplayedResponse(recorded: recorded, method: "GET")
        XCTAssertEqual(response.headers, [HeaderField("Content-Length", "5"), HeaderField("X-A", "1")])
        XCTAssertEqual(response.body, Array("hello".utf8))
    }
}

final class ExchangeMatcherVerifierTests: XCTestCase {
    /// With the staging key, a token whose signature does not verify is
    /// `invalid-signature`, so it cannot pass for the recorded valid one.
    func testABadSignatureIsClassifiedWithTheKey() throws {
        let secret = Array("staging-test-secret-0123456789abcdef".utf8)
        let classifier = AuthClassifier(verifier: HMACJWTVerifier(secret: secret))
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims = #"{"sub":"alice","exp":4102444800}"#
        let input = Base64.encode(Array(header.utf8), url: true, padding: false) + "." + Base64.encode(Array(claims.utf8), url: true, padding: false)
        let good = input + "." + Base64.encode(HMACAlgorithm.hs256.authenticationCode(Array(input.utf8), key: secret), url: true, padding: false)
        let forged = input + "." + Base64.encode(HMACAlgorithm.hs256.authenticationCode(Array(input.utf8), key: Array("not-the-staging-key-0123456789abcd".utf8)), url: true, padding: false)
        func classOf(_ token: String) -> AuthClass {
            let request = HTTPRequest(at: 0, method: "GET", target: "/ws", headers: [HeaderField("Authorization", "Bearer \(token)")])
            return classifier.classify(classifier.presented(in: request), issued: [], at: 1_764_050_400)
        }
        XCTAssertEqual(classOf(good), .unknown)
        XCTAssertEqual(classOf(forged), .invalidSignature)
        XCTAssertEqual(AuthClassifier().classify(AuthClassifier().presented(in: HTTPRequest(at: 0, method: "GET", target: "/ws", headers: [HeaderField("Authorization", "Bearer \(forged)")])), issued: [], at: 1_764_050_400), .unknown, "without a key nothing is invalid")
    }
}
