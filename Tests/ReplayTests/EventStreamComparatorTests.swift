import TrafficModel
import XCTest
@testable import Replay

/// Event streams compared event by event, with the noise rules of WebSocket messages.
final class EventStreamComparatorTests: XCTestCase {
    static func event(_ id: String?, _ type: String?, _ data: String?) -> ServerSentEvent {
        ServerSentEvent(at: 0, id: id, event: type, data: data)
    }

    static let recorded = ResponseStream(headAt: 0, events: [
        event(nil, nil, nil),
        event("1", "agent_started", #"{"type":"agent_started","run_id":"6f1c2e7a-44b0-4d33-98e1-a0c7b2d94f5e","timestamp":1764050400.5}"#),
        event("2", "agent_thinking", "thinking"),
        event("3", "agent_completed", #"{"type":"agent_completed","result":"ok"}"#),
    ])

    func testVolatileDataBySemanticByValue() {
        var live = Self.recorded
        live.events[1].data = #"{"type":"agent_started","run_id":"0b9f1c2e-7a44-4b05-9d33-68e1a0c7b2d9","timestamp":1764099999.25}"#
        XCTAssertEqual(ResponseComparator().compare(expected: Self.recorded, actual: live), [])
    }

    func testChangedMissingExtraAndReordered() {
        let comparator = ResponseComparator()
        var changed = Self.recorded
        changed.events[3].data = #"{"type":"agent_completed","result":"failed"}"#
        XCTAssertEqual(comparator.compare(expected: Self.recorded, actual: changed), [#"event 4 (agent_completed id 3): data: $.result expected "ok", got "failed""#])

        var missing = Self.recorded
        missing.events.remove(at: 2)
        missing.events.append(Self.event(nil, "error", #"{"error_code":"AUTH_REQUIRED"}"#))
        XCTAssertEqual(comparator.compare(expected: Self.recorded, actual: missing), [
            #"event 3: expected agent_thinking id 2 "thinking", missing"#,
            #"live event 4: unexpected error {"error_code":"AUTH_REQUIRED"}"#,
        ])

        var reordered = Self.recorded
        reordered.events.swapAt(2, 3)
        let order = comparator.compare(expected: Self.recorded, actual: reordered)
        XCTAssertEqual(order.count, 1, "\(order)")
        XCTAssertTrue(order.first?.hasPrefix("event 4: agent_completed id 3 ") == true, "\(order)")
        XCTAssertTrue(order.first?.hasSuffix(" arrived out of order (as live event 3)") == true, "\(order)")

        var renamed = Self.recorded
        renamed.events[1].id = "7"
        XCTAssertEqual(comparator.compare(expected: Self.recorded, actual: renamed).count, 2, "an id is compared by value: the event is missing and another is new")
    }

    func testAResponseWithEventsIsComparedByItsEvents() {
        let expected = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [HeaderField("Content-Type", "text/event-stream")], framing: .chunked, stream: Self.recorded)
        var actual = expected
        actual.stream?.events.removeLast()
        XCTAssertEqual(ResponseComparator().compare(expected: expected, actual: actual), [#"event 4: expected agent_completed id 3 {"type":"agent_completed","result":"ok"}, missing"#])
    }
}

/// Socket.IO in Replay: the live Engine.IO `sid` replaces the recorded one
/// in later requests, and packets are diffed JSON-aware behind their prefix.
final class EngineIOReplayTests: XCTestCase {
    func testTheLiveSessionIDIsChainedIntoLaterRequests() {
        var chain = TokenChain()
        let recorded = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [], body: .text(#"0{"sid":"jykQ1Z8pp3H_BJ86AAAC","upgrades":["websocket"],"pingInterval":25000}"#))
        let live = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [], body: .text(#"0{"sid":"SbVLxyX6THvgcBYjAAAK","upgrades":["websocket"],"pingInterval":25000}"#))
        XCTAssertEqual(chain.learn(recorded: recorded, live: live), [])
        let upgrade = HTTPRequest(at: 0, method: "GET", target: "/socket.io/?EIO=4&transport=websocket&sid=jykQ1Z8pp3H_BJ86AAAC", headers: [])
        XCTAssertEqual(chain.apply(to: upgrade).target, "/socket.io/?EIO=4&transport=websocket&sid=SbVLxyX6THvgcBYjAAAK")
        // And the open packets themselves differ only in a volatile sid.
        XCTAssertEqual(ResponseComparator().compare(expected: recorded, actual: live), [])
    }

    func testAnotherPacketTypeNamesBothPayloads() {
        let expected = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"42["agent_started",{"run_id":"a"}]"#))
        let actual = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"44{"message":"AUTH_REQUIRED","data":{"error":"user_context must be a UserExecutionContext instance"}}"#))
        let lines = ResponseComparator().compare(expected: [expected], actual: [actual])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix(#"server message 1: packet prefix expected "42", got "44": expected "#), lines[0])
        XCTAssertTrue(lines[0].contains("user_context must be a UserExecutionContext instance"), lines[0])
        // Same prefix: the document JSON-aware, volatile ids by shape.
        let other = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"42["agent_started",{"run_id":"b"}]"#))
        XCTAssertEqual(ResponseComparator().compare(expected: [expected], actual: [other]), [])
        let renamed = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"42["agent_stopped",{"run_id":"a"}]"#))
        XCTAssertEqual(ResponseComparator().compare(expected: [expected], actual: [renamed]), [#"server message 1: $[0] expected "agent_started", got "agent_stopped""#])
    }
}
