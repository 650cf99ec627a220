import TrafficModel
import XCTest
@testable import Wire

/// The server's Engine.IO 4 heartbeat as a state machine: its intervals from
/// the `open` packet, ping after the interval, close after an unanswered
/// timeout, and which packets are heartbeats (not the upgrade's probe).
final class EngineIOHeartbeatTests: XCTestCase {
    func testParametersComeFromTheOpenPacket() {
        let open = Body.text(#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertEqual(EngineIOHeartbeat.Parameters(openPacket: open), EngineIOHeartbeat.Parameters(pingInterval: 25, pingTimeout: 20))
        // A polling answer: the open packet first, another packet after it.
        let polling = Body.text("0{\"sid\":\"abcdefgh\",\"pingInterval\":300,\"pingTimeout\":1200}\u{1E}40")
        XCTAssertEqual(EngineIOHeartbeat.Parameters(openPacket: polling), EngineIOHeartbeat.Parameters(pingInterval: 0.3, pingTimeout: 1.2))
        // python-engineio advertises whole seconds: a 0 is no heartbeat to keep.
        XCTAssertNil(EngineIOHeartbeat.Parameters(openPacket: .text(#"0{"sid":"abcdefgh","pingInterval":0,"pingTimeout":1500}"#)))
        XCTAssertNil(EngineIOHeartbeat.Parameters(openPacket: .text(#"0{"sid":"abcdefgh"}"#)))
        XCTAssertNil(EngineIOHeartbeat.Parameters(openPacket: .text(#"40{"sid":"abcdefgh"}"#)))
        XCTAssertNil(EngineIOHeartbeat.Parameters(openPacket: nil))
    }

    func testPingThenPongThenPingThenTimeout() {
        var heartbeat = EngineIOHeartbeat(.init(pingInterval: 0.3, pingTimeout: 1.2))
        XCTAssertFalse(heartbeat.isRunning)
        XCTAssertEqual(heartbeat.pong(), .none, "a pong before any ping is ignored")
        XCTAssertEqual(heartbeat.start(), .wait(0.3))
        XCTAssertEqual(heartbeat.start(), .none, "started once")
        XCTAssertTrue(heartbeat.isRunning)
        XCTAssertEqual(heartbeat.pong(), .none, "no ping is outstanding")
        XCTAssertEqual(heartbeat.timerFired(), .ping(thenWait: 1.2))
        XCTAssertEqual(heartbeat.pong(), .wait(0.3))
        XCTAssertEqual(heartbeat.timerFired(), .ping(thenWait: 1.2))
        XCTAssertEqual(heartbeat.timerFired(), .close(reason: "ping timeout: no pong within 1200 ms"))
        XCTAssertFalse(heartbeat.isRunning)
        XCTAssertEqual(heartbeat.timerFired(), .none)
        XCTAssertEqual(heartbeat.pong(), .none, "a late pong does not reopen a closed session")
    }

    func testWhichPacketsAreHeartbeats() {
        func text(_ s: String, _ direction: Direction = .server) -> WebSocketMessage {
            WebSocketMessage(direction: direction, at: 0, opcode: .text, payload: .text(s))
        }
        XCTAssertTrue(EngineIOHeartbeat.isHeartbeat(text("2")))
        XCTAssertTrue(EngineIOHeartbeat.isHeartbeat(text("3", .client)))
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeat(text("2probe")), "the upgrade's probe stays in the script")
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeat(text("3probe")))
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeat(text("42[\"2\"]")))
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeat(WebSocketMessage(direction: .server, at: 0, opcode: .binary, payload: .binary([0x32]))))
        XCTAssertTrue(EngineIOHeartbeat.isPing(text("2")))
        XCTAssertFalse(EngineIOHeartbeat.isPing(text("3")))
        XCTAssertTrue(EngineIOHeartbeat.isPong(text("3", .client)))
        XCTAssertTrue(EngineIOHeartbeat.isHeartbeatPayload(.text("3\u{1E}3")))
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeatPayload(.text("3\u{1E}40")))
        XCTAssertFalse(EngineIOHeartbeat.isHeartbeatPayload(.text("3probe")))
        // A pong batched with an event compares like the event alone.
        XCTAssertEqual(EngineIOHeartbeat.withoutHeartbeats(.text("3\u{1E}421[\"run\",{}]")), .text("421[\"run\",{}]"))
        XCTAssertEqual(EngineIOHeartbeat.withoutHeartbeats(.text("3\u{1E}3")), nil)
        XCTAssertEqual(EngineIOHeartbeat.withoutHeartbeats(.text("40{}")), .text("40{}"))
        XCTAssertEqual(EngineIOHeartbeat.withoutHeartbeats(.text("3probe")), .text("3probe"))
        XCTAssertEqual(EngineIOHeartbeat.withoutHeartbeats(nil), nil)
    }
}
