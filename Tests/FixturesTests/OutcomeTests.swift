import Fixtures
import TrafficModel
import XCTest

final class OutcomeTests: XCTestCase {
    func session(status: Int = 101, serverText: String? = nil, close: Int? = nil, end: Bool = true) -> Session {
        let request = HTTPRequest(at: 0, method: "GET", target: "/ws", version: "HTTP/1.1", headers: [])
        let response = HTTPResponse(at: 0.001, version: "HTTP/1.1", status: status, reason: "", headers: [])
        var messages: [WebSocketMessage] = []
        if let serverText { messages.append(WebSocketMessage(direction: .server, at: 0.002, opcode: .text, payload: .text(serverText))) }
        if let close { messages.append(WebSocketMessage(direction: .server, at: 0.003, opcode: .close, payload: .text(""), closeCode: close)) }
        return Session(
            id: "s1", client: Endpoint(host: "127.0.0.1", port: 1), server: Endpoint(host: "127.0.0.1", port: 2), start: 0,
            exchanges: [HTTPExchange(request: request, response: response)],
            websocket: status == 101 ? WebSocketSession(messages: messages) : nil,
            end: end ? SessionEnd(kind: .closed, at: 0.004, by: .server) : nil
        )
    }

    func testParsesTheDocumentedForms() throws {
        let outcome = try Outcome(parsing: ["status=401", "close=1008", "error_code=AUTH_REQUIRED", " type = error_message "])
        XCTAssertEqual(outcome.conditions, [.status(401), .close(1008), .field(name: "error_code", value: "AUTH_REQUIRED"), .field(name: "type", value: "error_message")])
        XCTAssertEqual(outcome.description, "status=401, close=1008, error_code=AUTH_REQUIRED, type=error_message")
    }

    func testRejectsWhatIsNotAnOutcome() {
        for bad in ["status", "=401", "status=", "status=abc", "status=99", "close=999", "close=x"] {
            XCTAssertThrowsError(try Outcome(parsing: [bad]), bad) { error in
                XCTAssertEqual(error as? FixturesError, FixturesError(.invalidOutcome, ""))
            }
        }
        XCTAssertThrowsError(try Outcome(parsing: []))
    }

    func testJSONMembersAtAnyDepthByValue() throws {
        let error = #"{"type":"error_message","details":{"error_code":"AUTH_REQUIRED","attempt":2,"retry":false}}"#
        let s = session(serverText: error, close: 1008)
        XCTAssertTrue(try Outcome(parsing: ["error_code=AUTH_REQUIRED"]).holds(in: s))
        XCTAssertTrue(try Outcome(parsing: ["attempt=2", "retry=false"]).holds(in: s))
        XCTAssertFalse(try Outcome(parsing: ["error_code=AUTH"]).holds(in: s), "whole values, not prefixes")
        XCTAssertFalse(try Outcome(parsing: ["details=AUTH_REQUIRED"]).holds(in: s), "an object is not a scalar value")
        XCTAssertTrue(try Outcome(parsing: ["close=1008", "type=error_message"]).holds(in: s))
        XCTAssertFalse(try Outcome(parsing: ["close=1000"]).holds(in: s))
    }

    func testStatusAndResponseBodies() throws {
        var s = session(status: 401)
        s.exchanges[0].response?.body = .text(#"{"error_code":"TOKEN_EXPIRED"}"#)
        XCTAssertTrue(try Outcome(parsing: ["status=401", "error_code=TOKEN_EXPIRED"]).holds(in: s))
        XCTAssertFalse(try Outcome(parsing: ["status=200"]).holds(in: s))
        XCTAssertFalse(try Outcome(parsing: ["close=1006"]).holds(in: s), "no WebSocket, no close")
    }

    func testCloseWithoutAFrameIs1006() throws {
        XCTAssertTrue(try Outcome(parsing: ["close=1006"]).holds(in: session(serverText: "{}")))
        XCTAssertFalse(try Outcome(parsing: ["close=1006"]).holds(in: session(serverText: "{}", end: false)), "still open is not dropped")
    }

    func testAllConditionsInOneSession() throws {
        let a = session(serverText: #"{"error_code":"AUTH_REQUIRED"}"#)
        let b = session(serverText: "{}", close: 1008)
        let outcome = try Outcome(parsing: ["error_code=AUTH_REQUIRED", "close=1008"])
        XCTAssertFalse(outcome.holds(inAny: [a, b]))
        XCTAssertTrue(outcome.holds(inAny: [a, b, session(serverText: #"{"error_code":"AUTH_REQUIRED"}"#, close: 1008)]))
    }
}
