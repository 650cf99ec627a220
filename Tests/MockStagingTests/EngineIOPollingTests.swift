import MockStaging
import TrafficModel
import Wire
import XCTest

/// Engine.IO long-polling as the mock decides it (`MockReplay`, no sockets;
/// the python-socketio clients in DifferentialTests run the same over real
/// ones): two logical sessions polled at once are each served from their own
/// recorded session by `sid`, a GET whose recorded answer followed a client
/// POST is held until that POST came, ACKs go out under the live client's
/// ack ids, pongs are answered `ok`, and a poll with nothing left is held.
final class EngineIOPollingTests: XCTestCase {
    static let a = "AAAAAAAAAAAAAAAAAAAA"
    static let b = "BBBBBBBBBBBBBBBBBBBB"

    /// One recorded logical session: the handshake on one connection, the POST and the answering GET on another.
    static func sessions(_ sid: String, start: Double, prompt: String, steps: Int) -> [Session] {
        let open = #"0{"sid":"\#(sid)","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#
        return [
            TestRecordings.session("\(sid.prefix(1))1", start: start, [
                HTTPExchange(request: TestRecordings.request(start, "GET", "/socket.io/?EIO=4&transport=polling&t=rec1"),
                             response: TestRecordings.response(start + 0.001, 200, "OK", body: open)),
                HTTPExchange(request: TestRecordings.request(start + 0.002, "GET", "/socket.io/?EIO=4&transport=polling&t=rec2&sid=\(sid)"),
                             response: TestRecordings.response(start + 0.010, 200, "OK", body: #"431[{"steps":\#(steps)}]"#)),
            ]),
            TestRecordings.session("\(sid.prefix(1))2", start: start + 0.003, [
                HTTPExchange(request: TestRecordings.request(start + 0.005, "POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: #"421["run",{"prompt":"\#(prompt)"}]"#),
                             response: TestRecordings.response(start + 0.006, 200, "OK", body: "ok")),
            ]),
        ]
    }

    static func replay() -> MockReplay {
        let recording = Recording(
            source: Source(kind: .handWritten, name: "t", tool: "test"), capturedAt: Timestamp(microseconds: 0),
            sessions: sessions(a, start: 0, prompt: "plan", steps: 4) + sessions(b, start: 1, prompt: "deploy", steps: 6)
        )
        return MockReplay(named: [("socketio.json", recording)], configuration: MockStagingServer.Configuration())
    }

    static func body(_ decision: MockReplay.Decision) -> String? {
        guard case .respond(let response, _) = decision else { return nil }
        return String(decoding: response.body, as: UTF8.self)
    }

    func testTwoClientsPollingAtOnceEachGetTheirOwnSession() throws {
        var replay = Self.replay()
        func handle(_ method: String, _ target: String, body: String? = nil) -> MockReplay.Decision {
            replay.handle(TestRecordings.request(0, method, target, body: body), now: 0, canUpgrade: false)
        }
        // Two handshakes: each client gets a fresh sid in its own recorded session's open packet.
        let first = try XCTUnwrap(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=x1")))
        let second = try XCTUnwrap(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=x2")))
        let liveA = try XCTUnwrap(EngineIOPacket.openSessionID(.text(first)))
        let liveB = try XCTUnwrap(EngineIOPacket.openSessionID(.text(second)))
        XCTAssertNotEqual(liveA, Self.a)
        XCTAssertNotEqual(liveA, liveB)

        // B polls before it sent its EVENT: the recorded answer came after the recorded POST, so the GET waits.
        guard case .hold(let held, let timeout) = handle("GET", "/socket.io/?EIO=4&transport=polling&t=y1&sid=\(liveB)") else {
            return XCTFail("the poll should be held until the EVENT came")
        }
        XCTAssertEqual(held, liveB)
        XCTAssertEqual(timeout, 25, "answered with a ping after the pingInterval otherwise")

        // B numbers its EVENT 7: its ACK comes back as 437, with B's recorded data, not A's.
        XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(liveB)", body: #"427["run",{"prompt":"deploy"}]"#)), "ok")
        XCTAssertEqual(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=y2&sid=\(liveB)")), #"437[{"steps":6}]"#)

        // A, a pong batched with its EVENT numbered 0: its own ACK under 0.
        XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(liveA)", body: "3\u{1E}" + #"420["run",{"prompt":"plan"}]"#)), "ok")
        XCTAssertEqual(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=y3&sid=\(liveA)")), #"430[{"steps":4}]"#)

        // A pong alone is answered `ok`, never matched; a poll with nothing left to say is held (a live ping follows).
        XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(liveA)", body: "3")), "ok")
        guard case .hold = handle("GET", "/socket.io/?EIO=4&transport=polling&t=y4&sid=\(liveA)") else {
            return XCTFail("nothing is due: the poll should be held")
        }
    }

    /// A test suite that connects once per test: after both recorded
    /// sessions were played, a third client plays the last one again from
    /// its start, as a WebSocket session repeats, instead of getting pings only.
    func testAClientAfterEveryRecordedSessionWasPlayedGetsOneAgain() throws {
        var replay = Self.replay()
        func handle(_ method: String, _ target: String, body: String? = nil) -> MockReplay.Decision {
            replay.handle(TestRecordings.request(0, method, target, body: body), now: 0, canUpgrade: false)
        }
        for (prompt, steps) in [("plan", 4), ("deploy", 6), ("deploy", 6)] {
            let open = try XCTUnwrap(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=h")))
            let sid = try XCTUnwrap(EngineIOPacket.openSessionID(.text(open)))
            XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: #"420["run",{"prompt":"\#(prompt)"}]"#)), "ok")
            XCTAssertEqual(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=p&sid=\(sid)")), #"430[{"steps":\#(steps)}]"#, prompt)
        }
    }

    func testAPollingClientThatStopsAnsweringPingsIsClosed() throws {
        var replay = Self.replay()
        func handle(_ method: String, _ target: String, body: String? = nil, now: Double) -> MockReplay.Decision {
            replay.handle(TestRecordings.request(0, method, target, body: body), now: now, canUpgrade: false)
        }
        let open = try XCTUnwrap(Self.body(handle("GET", "/socket.io/?EIO=4&transport=polling&t=x1", now: 0)))
        let sid = try XCTUnwrap(EngineIOPacket.openSessionID(.text(open)))
        // A ping answered within the 20 s pingTimeout keeps the session.
        replay.sentPollingPing(engineIOSession: sid, at: 100)
        XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: "3", now: 110)), "ok")
        XCTAssertEqual(Self.body(handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: #"421["run",{"prompt":"plan"}]"#, now: 200)), "ok")
        // One left unanswered past it closes the session: engine.io's 400, now and after, journaled once.
        replay.sentPollingPing(engineIOSession: sid, at: 300)
        let closed = handle("GET", "/socket.io/?EIO=4&transport=polling&t=y1&sid=\(sid)", now: 321)
        guard case .respond(let response, _) = closed else { return XCTFail("expected the 400") }
        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("Session ID unknown"))
        guard case .respond(let again, _) = handle("POST", "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: "3", now: 322) else { return XCTFail("expected the 400") }
        XCTAssertEqual(again.status, 400, "a late pong does not bring it back")
        let ended = replay.journal.filter { if case .sessionEnded = $0 { true } else { false } }
        XCTAssertEqual(ended.map(\.logLine).count, 1)
        XCTAssertTrue(ended.first?.logLine.contains("engine.io ping timeout: no pong within 20000 ms (long-polling)") ?? false, "\(ended.map(\.logLine))")
        // A reset forgets the sessions handed out, like the pool they came from.
        replay.reset()
        XCTAssertTrue(replay.sessionIDs.recorded.isEmpty)
        guard case .respond(let fresh, _) = handle("GET", "/socket.io/?EIO=4&transport=polling&t=z1", now: 400) else { return XCTFail("a new handshake") }
        XCTAssertEqual(EngineIOPacket.openSessionID(.text(String(decoding: fresh.body, as: UTF8.self))).map { replay.sessionIDs.recorded[$0] }, Self.a)
    }
}
