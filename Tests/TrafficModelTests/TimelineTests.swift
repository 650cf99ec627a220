import XCTest
@testable import TrafficModel

final class TimelineTests: XCTestCase {
    func testShippedSeedTimeline() throws {
        let recording = try loadShipped("auth-required.json")
        let lines = Timeline.render(recording)
        let text = lines.map(\.text).joined(separator: "\n")
        XCTAssertTrue(text.contains("→ GET /ws  Authorization: Bearer <JWT alg=HS256 sub=alice exp=+60m sig=redacted> (issued)"), text)
        XCTAssertTrue(text.contains(#"← text {"type":"error_message","error_code":"AUTH_REQUIRED""#), text)
        XCTAssertTrue(text.contains(#"← close 1008 "auth required""#), text)
        let errorLines = lines.filter { $0.style == .error }.map(\.text)
        XCTAssertTrue(errorLines.contains { $0.contains("AUTH_REQUIRED") })
        XCTAssertTrue(errorLines.contains { $0.contains("close 1008") })
        XCTAssertEqual(lines.last?.text, "2 sessions, 2 exchanges, 3 WS messages, 3 errors, 0 anomalies")
    }

    func testErrorSignals() {
        XCTAssertTrue(ErrorSignals.isErrorPayload(#"{"type":"error_message"}"#))
        XCTAssertTrue(ErrorSignals.isErrorPayload(#"{"error":"Unknown api key"}"#))
        XCTAssertTrue(ErrorSignals.isErrorPayload(#"{"ok":false,"error_code":"X"}"#))
        XCTAssertFalse(ErrorSignals.isErrorPayload(#"{"type":"connection_established","error":null}"#))
        XCTAssertFalse(ErrorSignals.isErrorPayload("error"))
        let close1000 = WebSocketMessage(direction: .server, at: 0, opcode: .close, payload: .text(""), closeCode: 1000)
        let close4001 = WebSocketMessage(direction: .server, at: 0, opcode: .close, payload: .text(""), closeCode: 4001)
        XCTAssertFalse(ErrorSignals.isError(close1000))
        XCTAssertTrue(ErrorSignals.isError(close4001))
    }
}
