import Foundation
import TestSupport
import TrafficModel
import Wire
import XCTest
@testable import Capture

/// `inspect` on a Socket.IO session exported by Chrome (corpus-2's
/// mswjs_ws-polling-socketio.har: a polling handshake, CONNECT, an EVENT):
/// packets read as `open {…}`, `connect`, `event "message" "hello"`.
final class SocketIOInspectTests: XCTestCase {
    func testPollingSessionReadsAsPackets() throws {
        let path = try Corpus.requireCapture("corpus-2/mswjs_ws-polling-socketio.har")
        let result = try HARImporter().importHAR(Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: "mswjs_ws-polling-socketio.har")
        let lines = Timeline.render(result.recording, decoders: .engineIO).map(\.text)
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasSuffix(#"← 200 OK  open {"sid":"E04Zc2z7PVxNsugBAAAA","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#) }, text)
        XCTAssertTrue(lines.contains { $0.hasSuffix("&sid=E04Zc2z7PVxNsugBAAAA  connect") }, text)
        XCTAssertTrue(lines.contains { $0.hasSuffix(#"  event "message" "hello""#) }, text)
        XCTAssertTrue(lines.contains { $0.hasSuffix(#"← 200 OK  connect {"sid":"6xJd5YyNb6HAfuwIAAAB"}"#) }, text)
        // Both connections of the logical session say which one it is.
        XCTAssertEqual(lines.filter { $0.hasPrefix("session ") && $0.hasSuffix("  engine.io sid E04Zc2z7PVxNsugBAAAA") }.count, 2, text)
        // The import linked both connections to the logical session (Session.engineIO), which inspect reads.
        let links = result.recording.sessions.compactMap(\.engineIO)
        XCTAssertEqual(links, [EngineIOLink(sid: "E04Zc2z7PVxNsugBAAAA", transport: .polling), EngineIOLink(sid: "E04Zc2z7PVxNsugBAAAA", transport: .polling)])
        // The server's `ok` to a POST is no packet: shown as it is.
        XCTAssertTrue(lines.contains { $0.hasSuffix("← 200 OK  ok") }, text)
        // Without the decoders, the raw payloads.
        XCTAssertTrue(Timeline.render(result.recording).map(\.text).contains { $0.hasSuffix(#"  42["message","hello"]"#) })
    }

    func testWebSocketPacketsAndErrors() {
        let session = Session(
            id: "s1", client: Endpoint(parsing: "127.0.0.1:5000")!, server: Endpoint(parsing: "127.0.0.1:80")!, start: 0,
            exchanges: [HTTPExchange(
                request: HTTPRequest(at: 0, method: "GET", target: "/socket.io/?EIO=4&transport=websocket", headers: []),
                response: HTTPResponse(at: 0.001, status: 101, reason: "Switching Protocols", headers: [HeaderField("Upgrade", "websocket")])
            )],
            websocket: WebSocketSession(messages: [
                WebSocketMessage(direction: .server, at: 0.002, opcode: .text, payload: .text(#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#)),
                WebSocketMessage(direction: .client, at: 0.003, opcode: .text, payload: .text(#"40{"token":"forged"}"#)),
                WebSocketMessage(direction: .server, at: 0.004, opcode: .text, payload: .text(#"44{"message":"invalid token"}"#)),
                WebSocketMessage(direction: .server, at: 0.005, opcode: .text, payload: .text(#"42["agent_started",{"run":1}]"#)),
                WebSocketMessage(direction: .server, at: 0.006, opcode: .text, payload: .text("2")),
            ])
        )
        let recording = Recording(source: Source(kind: .handWritten, name: "t", tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: [session])
        let lines = Timeline.render(recording, decoders: .engineIO)
        let messages = lines.filter { $0.text.contains("  ← ") || $0.text.contains("  → ") }.suffix(5)
        XCTAssertEqual(messages.map(\.text), [
            #"    +0.002s  ← open {"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#,
            #"    +0.003s  → connect {"token":"forged"}"#,
            #"    +0.004s  ← connect_error {"message":"invalid token"}"#,
            #"    +0.005s  ← event "agent_started" {"run":1}"#,
            "    +0.006s  ← ping",
        ])
        XCTAssertEqual(messages.map(\.style), [.normal, .normal, .error, .normal, .normal])
    }
}
