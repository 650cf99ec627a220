import Export
import Foundation
import Replay
import TestSupport
import TrafficModel
import XCTest

/// The script's data follows Replay's plan: units by token chains, what is
/// learnt from each response, WebSocket triggers, the expected close.
final class K6ExporterTests: XCTestCase {
    func input(_ name: String) throws -> ReplayPlan.Input {
        let path = Corpus.packageRoot + "/recordings/" + name
        return ReplayPlan.Input(name: name, recording: try RecordingCodec.decode(Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func testUnitsChainsTriggersAndChecks() throws {
        let script = try K6Exporter(toolVersion: "test").script([try input("login-and-websocket.json"), try input("websocket-without-token.json")])
        XCTAssertEqual(script.statistics.units, 2, "the login chain, and the session without a token")
        XCTAssertEqual(script.statistics.sessions, 4)
        XCTAssertEqual(script.recordedTarget, "http://127.0.0.1:42387")
        let text = script.text
        XCTAssertTrue(text.contains("replay: { executor: 'shared-iterations', vus: 2, iterations: 2"), text)
        XCTAssertTrue(text.contains("checks: ['rate==1.0']"))
        XCTAssertTrue(text.contains("\"location\": \"body:$.access_token\""), "the login's token is learnt")
        XCTAssertTrue(text.contains("\"after\": 1,\n                \"text\": \"{\\\"type\\\":\\\"user_message\\\",\\\"content\\\":\\\"hello\\\"}\""), "sent after the first server message")
        XCTAssertTrue(text.contains("\"error_code\": \"AUTH_REQUIRED\""))
        XCTAssertTrue(text.contains("\"code\": 1008,\n              \"by\": \"server\""))
        XCTAssertFalse(text.contains("\"Sec-WebSocket-Key\""), "k6 makes its own key")
    }

    func testNothingToSendIsAnError() throws {
        let empty = Recording(source: Source(kind: .handWritten, name: "e", tool: "t"), capturedAt: Timestamp(microseconds: 0), sessions: [
            Session(id: "s1", client: Endpoint(host: "10.0.0.1", port: 1), server: Endpoint(host: "10.0.0.2", port: 80), start: 0),
        ])
        XCTAssertThrowsError(try K6Exporter(toolVersion: "test").script([ReplayPlan.Input(name: "e", recording: empty)])) { error in
            XCTAssertEqual(error as? ExportError, ExportError(.nothingToExport, ""))
        }
    }
}
