import MockStaging
import Wire
import TrafficModel
import XCTest

/// The session tree as a pure state machine: no sockets, the run's context passed in.
final class SessionTreeTests: XCTestCase {
    private func tree(_ recording: Recording, group target: String, _ settings: SessionTree.Settings = .init(), served: Set<RecordedReference> = []) -> SessionTree {
        var matcher = ExchangeMatcher(recordings: [(name: recording.source.name, recording: recording)])
        guard case .matched(let match) = matcher.match(TestRecordings.request(0, "GET", target, headers: TestRecordings.upgradeHeaders), now: 0) else {
            XCTFail("no upgrade for \(target)")
            return SessionTree(sessions: [], chosen: nil, served: [], settings: settings)
        }
        return SessionTree(sessions: match.sessions, chosen: match.reference, served: served, settings: settings)
    }

    private func sessions(_ tree: SessionTree) -> [String] { tree.candidates.map(\.reference.session) }

    func testAClientMessageNarrowsTheCandidatesAndItsCredentialIsJudgedByClass() {
        var t = tree(TestRecordings.messageAuth(), group: "/ws")
        XCTAssertEqual(sessions(t), ["happy", "forged", "anonymous"])
        XCTAssertEqual(t.next(), .awaitClient)
        // The token the mock handed out in this run is "issued", like the recorded one.
        let context = SessionTree.Context(issued: [TestRecordings.validToken])
        let auth = TestRecordings.client(0, #"{"token":"\#(TestRecordings.validToken)","type":"auth"}"#)
        guard case .send(let ok, _) = t.received(auth, context: context) else { return XCTFail() }
        XCTAssertEqual(ok.payload.text, #"{"type":"auth_ok"}"#)
        XCTAssertEqual(sessions(t), ["happy"])

        var forged = tree(TestRecordings.messageAuth(), group: "/ws")
        _ = forged.next()
        let attempt = TestRecordings.client(0, #"{"type":"auth","token":"\#(TestRecordings.liveForgery)"}"#)
        guard case .chose(let chosen, let released, 1) = forged.received(attempt, context: context) else { return XCTFail() }
        XCTAssertEqual(chosen.session, "forged")
        XCTAssertEqual(released?.session, "happy")
        guard case .send(let error, _) = forged.next() else { return XCTFail() }
        XCTAssertEqual(error.payload.text, #"{"type":"error","error_code":"AUTH_INVALID"}"#)
    }

    func testServerMessagesThatPartBeforeTheClientSpeaksFollowRecordedOrder() {
        var recording = TestRecordings.messageAuth()
        // The forged session's server greets first, differently: the happy one leads.
        recording.sessions[2].websocket?.messages.insert(TestRecordings.server(2.05, #"{"type":"welcome","v":2}"#), at: 0)
        recording.sessions[1].websocket?.messages.insert(TestRecordings.server(1.05, #"{"type":"welcome","v":1}"#), at: 0)
        var t = tree(recording, group: "/ws")
        guard case .send(let welcome, _) = t.next() else { return XCTFail() }
        XCTAssertEqual(welcome.payload.text, #"{"type":"welcome","v":1}"#)
        XCTAssertEqual(sessions(t), ["happy"], "the sessions that greeted differently left the tree")
    }

    func testAnExhaustedPoolRefusesWithFailAndRepeatsTheLastOtherwise() {
        let recording = TestRecordings.messageAuth()
        let references = tree(recording, group: "/ws").candidates.map(\.reference)
        let (happy, anonymous) = (references[0], references[2])
        let hello = TestRecordings.client(0, #"{"type":"hello"}"#)

        var failing = tree(recording, group: "/ws", SessionTree.Settings(exhaustion: .fail))
        _ = failing.next()
        guard case .close(1008, let reason, _) = failing.received(hello, context: .init(served: [happy, anonymous])) else { return XCTFail() }
        XCTAssertTrue(reason.hasPrefix("exhausted: every recorded session this message leads to was already served"), reason)

        var repeating = tree(recording, group: "/ws")
        _ = repeating.next()
        guard case .chose(let chosen, _, _) = repeating.received(hello, context: .init(served: [happy, anonymous])) else { return XCTFail() }
        XCTAssertEqual(chosen, anonymous)
    }

    /// A Socket.IO client that numbers its acks otherwise than the recorded
    /// one still matches, and gets the recorded ACK under its own id.
    func testSocketIOAcksAnswerTheLiveClientsID() {
        let recording = TestRecordings.handWritten("socket.io", [
            TestRecordings.webSocketSession("sio", start: 1, "/socket.io/?EIO=4&transport=websocket", [
                TestRecordings.server(1.1, #"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#),
                TestRecordings.client(1.2, #"421["run",{"prompt":"plan"}]"#),
                TestRecordings.server(1.3, #"42["agent_completed",{"steps":4}]"#),
                TestRecordings.server(1.4, #"431[{"status":"ok"}]"#),
            ]),
        ])
        var t = tree(recording, group: "/socket.io/?EIO=4&transport=websocket")
        guard case .send(let open, _) = t.next() else { return XCTFail() }
        XCTAssertTrue(open.payload.text?.hasPrefix("0{") == true)
        XCTAssertEqual(t.next(), .awaitClient)
        guard case .send(let event, _) = t.received(TestRecordings.client(0, #"427["run",{"prompt":"plan"}]"#), context: .init()) else { return XCTFail() }
        XCTAssertEqual(event.payload.text, #"42["agent_completed",{"steps":4}]"#)
        guard case .send(let ack, _) = t.next() else { return XCTFail() }
        XCTAssertEqual(ack.payload.text, #"437[{"status":"ok"}]"#)

        // Another event name does not match, whatever its id.
        var other = tree(recording, group: "/socket.io/?EIO=4&transport=websocket")
        _ = other.next()
        _ = other.next()
        guard case .close(1008, _, let differences) = other.received(TestRecordings.client(0, #"421["stop",{"prompt":"plan"}]"#), context: .init()) else { return XCTFail() }
        XCTAssertFalse(differences.isEmpty)
    }

    /// An Engine.IO connection's open packet gets a fresh sid, and later
    /// mentions of the recorded one say the fresh one.
    func testTheOpenPacketGetsAFreshSessionID() {
        let recording = TestRecordings.handWritten("socket.io", [
            TestRecordings.webSocketSession("sio", start: 1, "/socket.io/?EIO=4&transport=websocket", [
                TestRecordings.server(1.1, #"0{"sid":"recorded-sid-0001","upgrades":[]}"#),
                TestRecordings.server(1.2, #"42["hello",{"session":"recorded-sid-0001"}]"#),
            ]),
        ])
        let ids = EngineIOSessionIDs(generate: { "fresh-sid-000000002" })
        var t = tree(recording, group: "/socket.io/?EIO=4&transport=websocket", SessionTree.Settings(sessionIDs: ids))
        guard case .send(let open, _) = t.next(), case .send(let hello, _) = t.next() else { return XCTFail() }
        XCTAssertEqual(open.payload.text, #"0{"sid":"fresh-sid-000000002","upgrades":[]}"#)
        XCTAssertEqual(hello.payload.text, #"42["hello",{"session":"fresh-sid-000000002"}]"#)
        // Without: as recorded.
        var plain = tree(recording, group: "/socket.io/?EIO=4&transport=websocket")
        guard case .send(let recorded, _) = plain.next() else { return XCTFail() }
        XCTAssertEqual(recorded.payload.text, #"0{"sid":"recorded-sid-0001","upgrades":[]}"#)
    }
}
