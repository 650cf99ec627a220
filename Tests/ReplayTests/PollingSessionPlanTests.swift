@testable import Replay
import TrafficModel
import XCTest

/// A long-polling-only Socket.IO session replayed as one (issue 15): which
/// request waits for which answer, what is left out, how answers compare.
/// Shaped like python-socketio's AsyncClient on `transports=['polling']`
/// (see the live test in SocketIOPollingTests).
final class PollingSessionPlanTests: XCTestCase {
    static let sid = "95arowQopmeq1n6aAAAA"
    static let path = "/socket.io/?transport=polling&EIO=4"

    static func exchange(_ method: String, _ query: String, _ body: String?, at: Double, answer: String, answeredAt: Double, status: Int = 200) -> HTTPExchange {
        HTTPExchange(
            request: HTTPRequest(at: at, method: method, target: path + query, headers: [HeaderField("Host", "staging:80")], body: body.map { .text($0) }),
            response: HTTPResponse(at: answeredAt, status: status, reason: status == 200 ? "OK" : "Bad Request", headers: [], body: .text(answer))
        )
    }

    static func connection(_ id: String, start: Double, _ exchanges: [HTTPExchange], transport: EngineIOLink.Transport = .polling) -> Session {
        var session = Session(id: id, client: Endpoint(host: "127.0.0.1", port: 40000), server: Endpoint(host: "127.0.0.1", port: 8000), start: start)
        session.exchanges = exchanges
        session.engineIO = EngineIOLink(sid: sid, transport: transport)
        return session
    }

    /// The handshake and a GET held until the CONNECT (on the other connection) came;
    /// a ping, its pong; the event; then the close, while the last GET is still out.
    static var recording: Recording {
        let get = connection("s1", start: 0, [
            exchange("GET", "&t=1", nil, at: 0.001, answer: #"0{"sid":"\#(sid)","upgrades":["websocket"],"pingTimeout":5000,"pingInterval":5000}"#, answeredAt: 0.002),
            exchange("GET", "&sid=\(sid)&t=2", nil, at: 0.003, answer: "42[\"agent_started\",{\"run_id\":\"a\"}]\u{1E}40{\"sid\":\"x\"}", answeredAt: 0.006),
            exchange("GET", "&sid=\(sid)&t=3", nil, at: 0.007, answer: "2", answeredAt: 5.0),
            exchange("GET", "&sid=\(sid)&t=4", nil, at: 5.1, answer: "431[{\"steps\":4}]", answeredAt: 5.3),
            exchange("GET", "&sid=\(sid)&t=5", nil, at: 5.4, answer: "\"Bad Request\"", answeredAt: 15.4, status: 400),
        ])
        let post = connection("s2", start: 0.004, [
            exchange("POST", "&sid=\(sid)", #"40{"token":"t"}"#, at: 0.004, answer: "OK", answeredAt: 0.005),
            exchange("POST", "&sid=\(sid)", "3", at: 5.01, answer: "OK", answeredAt: 5.02),
            exchange("POST", "&sid=\(sid)", "3\u{1E}421[\"run\",{}]", at: 5.2, answer: "OK", answeredAt: 5.21),
            exchange("POST", "&sid=\(sid)", "41\u{1E}1", at: 5.5, answer: "OK", answeredAt: 5.6),
        ])
        return Recording(source: .init(kind: .handWritten, name: "polling", tool: "test"), capturedAt: Timestamp(seconds: 0), sessions: [get, post])
    }

    func plan(_ recording: Recording = recording) throws -> ReplayPlan {
        try ReplayPlan.build([.init(name: "r", recording: recording)], target: ReplayTarget(host: "127.0.0.1", port: 8000))
    }

    func testConnectionsOfOneSidRunTogetherEachRequestAfterTheAnswersRecordedBeforeIt() throws {
        let plan = try plan()
        XCTAssertEqual(PollingSessionPlan.logicalSessions(plan), [[0, 1]])
        XCTAssertEqual(ReplayDriver.chainGroups(plan), [[0, 1]], "one group, so one token chain learns the live sid")
        let polling = PollingSessionPlan(members: [0, 1], of: plan, pollsForPings: false)
        let order = polling.exchanges.map { "\($0.member == 0 ? "s1" : "s2")#\($0.step.exchange + 1)" }
        XCTAssertEqual(order, ["s1#1", "s1#2", "s2#1", "s1#3", "s2#2", "s1#4", "s2#3", "s1#5", "s2#4"])
        func after(_ label: String) -> [String] {
            polling.exchanges[order.firstIndex(of: label)!].after.map { order[$0] }
        }
        // The held GET goes out after the handshake only: the CONNECT beside it releases it.
        XCTAssertEqual(after("s1#2"), ["s1#1"])
        XCTAssertEqual(after("s2#1"), ["s1#1"])
        // The GET for the ACK waits for what was answered before it, heartbeats aside, not for the EVENT that releases it.
        XCTAssertEqual(after("s1#4"), ["s1#1", "s1#2", "s2#1"])
        // Heartbeat exchanges are left out (the pong POST; without --pace, the GET answered `2`).
        XCTAssertEqual(polling.exchanges.indices.filter { polling.exchanges[$0].heartbeat }.map { order[$0] }, ["s1#3", "s2#2"])
        XCTAssertEqual(PollingSessionPlan(members: [0, 1], of: plan, pollsForPings: true).exchanges.filter(\.heartbeat).count, 1, "with --pace the ping's GET is sent")
        // The last GET was still held when the close was answered: not awaited.
        XCTAssertEqual(polling.exchanges.filter(\.abandoned).map(\.step.exchange), [4])
    }

    func testSelectingOneConnectionPullsInTheOthers() throws {
        let plan = try ReplayPlan.build([.init(name: "r", recording: Self.recording)], sessions: ["s2"], target: ReplayTarget(host: "127.0.0.1", port: 8000))
        XCTAssertEqual(plan.sessions.map(\.name), ["s1", "s2"])
    }

    func testAnUpgradedSessionIsNotOne() throws {
        var recording = Self.recording
        // The same sid's upgrade: its connection carries the rest of the session.
        recording.sessions.append(Self.connection("s3", start: 6, [
            Self.exchange("GET", "&sid=\(Self.sid)", nil, at: 6, answer: "", answeredAt: 6.1),
        ], transport: .websocket))
        XCTAssertEqual(PollingSessionPlan.logicalSessions(try plan(recording)), [])
    }

    func testAnswersComparePacketByPacketWithoutHeartbeats() {
        let comparator = ResponseComparator()
        let expected = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [], body: .text("42[\"agent_completed\",{\"steps\":4}]\u{1E}431[{\"steps\":4}]"))
        var live = expected
        live.body = .text("2\u{1E}42[\"agent_completed\",{\"steps\":4}]\u{1E}431[{\"steps\":4}]")
        XCTAssertEqual(comparator.compare(expectedPolling: expected, actual: live), [])
        live.body = .text("44{\"message\":\"AUTH_REQUIRED\"}")
        XCTAssertEqual(comparator.compare(expectedPolling: expected, actual: live), [
            #"packet 1: packet prefix expected "42", got "44": expected "42[\"agent_completed\",{\"steps\":4}]", got "44{\"message\":\"AUTH_REQUIRED\"}""#,
            #"packet 2: expected "431[{\"steps\":4}]", got nothing"#,
        ])
        live.body = .text("42[\"agent_completed\",{\"steps\":6}]\u{1E}431[{\"steps\":4}]")
        XCTAssertEqual(comparator.compare(expectedPolling: expected, actual: live), ["packet 1: $[1].steps expected 4, got 6"])
    }

    func testAckIdsInPollingPayloadsAreRenumberedAndReadBack() {
        var acks = SocketIOAckNumbering()
        XCTAssertEqual(acks.outgoing(pollingPayload: "421[\"run\",{}]\u{1E}425[\"run\",{}]"), "420[\"run\",{}]\u{1E}421[\"run\",{}]")
        XCTAssertEqual(acks.incoming(pollingPayload: "42[\"x\"]\u{1E}431[2]\u{1E}430[1]\u{1E}439[9]"), "42[\"x\"]\u{1E}435[2]\u{1E}431[1]\u{1E}439[9]")
        XCTAssertEqual(acks.note, "socket.io ack ids sent fresh: recorded 1 as 0, recorded 5 as 1")
    }
}
