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
