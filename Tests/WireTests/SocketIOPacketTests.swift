import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// Engine.IO 4 and Socket.IO 5 packets, from the protocols' own examples,
/// and what `inspect` makes of them.
final class SocketIOPacketTests: XCTestCase {
    func testEngineIOPackets() throws {
        let open = try EngineIOPacket.parse(text: #"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertEqual(open.type, .open)
        XCTAssertEqual(open.readable(), #"open {"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#)
        XCTAssertEqual(try EngineIOPacket.parse(text: "2").readable(), "ping")
        XCTAssertEqual(try EngineIOPacket.parse(text: "2probe").readable(), #"ping "probe""#)
        XCTAssertEqual(try EngineIOPacket.parse(text: "3probe").readable(), #"pong "probe""#)
        XCTAssertEqual(try EngineIOPacket.parse(text: "5").readable(), "upgrade")
        XCTAssertEqual(try EngineIOPacket.parse(text: "6").readable(), "noop")
        XCTAssertEqual(try EngineIOPacket.parse(text: "1").readable(), "close")
        XCTAssertEqual(try EngineIOPacket.parse(text: "4hello").readable(socketIO: false), #"message "hello""#)
        XCTAssertEqual(EngineIOPacket.binaryMessage([1, 2, 3]).readable(), "binary attachment <3 bytes>")
        for bad in ["", "7", "x", "é"] {
            XCTAssertThrowsError(try EngineIOPacket.parse(text: bad), bad) { XCTAssertEqual(($0 as? WireError)?.code, .invalidEngineIOPacket) }
        }
    }

    func testPollingPayloads() throws {
        let packets = try EngineIOPacket.parse(payload: "4hello\u{1E}2\u{1E}bAQIDBA==")
        XCTAssertEqual(packets, [
            EngineIOPacket(type: .message, data: .text("hello")), EngineIOPacket(type: .ping, data: .text("")), EngineIOPacket.binaryMessage([1, 2, 3, 4]),
        ])
        XCTAssertThrowsError(try EngineIOPacket.parse(payload: "4a\u{1E}b!!")) { XCTAssertEqual(($0 as? WireError)?.code, .invalidEngineIOPacket) }
        XCTAssertThrowsError(try EngineIOPacket.parse(payload: "ok"))
        XCTAssertEqual(EngineIOReadable.payload(.text("40\u{1E}42[\"message\",\"hello\"]")), #"connect · event "message" "hello""#)
        XCTAssertNil(EngineIOReadable.payload(.text("ok")))
    }

    func testSocketIOPackets() throws {
        let cases: [(String, SocketIOPacket, String)] = [
            ("0", SocketIOPacket(type: .connect), "connect"),
            (#"0{"token":"123"}"#, SocketIOPacket(type: .connect, data: .object([("token", .string("123"))])), #"connect {"token":"123"}"#),
            (#"0/admin,{"token":"123"}"#, SocketIOPacket(type: .connect, namespace: "/admin", data: .object([("token", .string("123"))])), #"connect /admin {"token":"123"}"#),
            ("1/admin,", SocketIOPacket(type: .disconnect, namespace: "/admin"), "disconnect /admin"),
            (#"2["agent_started",{"id":1}]"#, SocketIOPacket(type: .event, data: .array([.string("agent_started"), .object([("id", .number("1"))])])), #"event "agent_started" {"id":1}"#),
            (#"2/admin,12["bar"]"#, SocketIOPacket(type: .event, namespace: "/admin", ackID: 12, data: .array([.string("bar")])), #"event /admin "bar" (ack 12)"#),
            (#"312["ok",2]"#, SocketIOPacket(type: .ack, ackID: 12, data: .array([.string("ok"), .number("2")])), #"ack 12 ["ok",2]"#),
            (#"4{"message":"Not authorized","data":{"code":"AUTH"}}"#, SocketIOPacket(type: .connectError, data: .object([("message", .string("Not authorized")), ("data", .object([("code", .string("AUTH"))]))])), #"connect_error {"message":"Not authorized","data":{"code":"AUTH"}}"#),
            (#"51-["upload",{"_placeholder":true,"num":0}]"#, SocketIOPacket(type: .binaryEvent, attachments: 1, data: .array([.string("upload"), .object([("_placeholder", .bool(true)), ("num", .number("0"))])])), #"binary event "upload" {"_placeholder":true,"num":0} (1 attachment)"#),
            (#"62-/admin,7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#, SocketIOPacket(type: .binaryAck, namespace: "/admin", ackID: 7, attachments: 2, data: .array([.object([("_placeholder", .bool(true)), ("num", .number("0"))]), .object([("_placeholder", .bool(true)), ("num", .number("1"))])])), #"binary ack /admin 7 [{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}] (2 attachments)"#),
        ]
        for (text, expected, readable) in cases {
            let packet = try SocketIOPacket.parse(text)
            XCTAssertEqual(packet, expected, text)
            XCTAssertEqual(packet.readable, readable, text)
        }
        XCTAssertEqual(try SocketIOPacket.parse(#"2["agent_started"]"#).eventName, "agent_started")
        // Inside an Engine.IO message packet, as a WebSocket text frame carries it.
        XCTAssertEqual(EngineIOReadable.message(WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"431["ok"]"#))), #"ack 1 ["ok"]"#)
        XCTAssertEqual(EngineIOReadable.message(WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(#"44{"message":"invalid token"}"#))), #"connect_error {"message":"invalid token"}"#)
    }

    func testMalformedSocketIOPackets() {
        for bad in ["", "9", "2", "2{}", "2[]", "3[1]", "5[\"a\"]", "51[\"a\"]", "2[\"a\"", "299999999999999999999[\"a\"]"] {
            XCTAssertThrowsError(try SocketIOPacket.parse(bad), bad) { XCTAssertEqual(($0 as? WireError)?.code, .invalidSocketIOPacket, bad) }
        }
    }

    /// Every prefix of every example parses or fails with a WireError, never a crash.
    func testEveryPrefixParsesOrFailsCleanly() {
        let examples = [#"62-/admin,7[{"_placeholder":true,"num":0}]"#, #"0/admin,{"token":"a"}"#, #"2/chat,12["m",{"x":[1,2]}]"#]
        for example in examples {
            for length in 0...example.utf8.count {
                let prefix = String(decoding: Array(example.utf8.prefix(length)), as: UTF8.self)
                _ = try? SocketIOPacket.parse(prefix)
                _ = try? EngineIOPacket.parse(payload: "4" + prefix + "\u{1E}" + prefix)
            }
        }
    }
}

/// Engine.IO's per-connection query parameters, and the open packet's sid.
final class EngineIOQueryTests: XCTestCase {
    func testPerConnectionParametersCountByPresence() {
        let polling = [("EIO", "4"), ("transport", "polling"), ("t", "O04g4oF")]
        XCTAssertEqual(EngineIOQuery.stable(polling).map { "\($0.0)=\($0.1)" }, ["EIO=4", "transport=polling", "t=*"])
        let upgrade = [("EIO", "4"), ("transport", "websocket"), ("sid", "abc"), ("t", "1")]
        XCTAssertEqual(EngineIOQuery.stable(upgrade).map { "\($0.0)=\($0.1)" }, ["EIO=4", "transport=websocket", "sid=*", "t=*"])
        // Not Engine.IO: untouched.
        XCTAssertEqual(EngineIOQuery.stable([("t", "1"), ("sid", "x")]).map(\.1), ["1", "x"])
    }

    func testCacheBusterReplacedInPlace() {
        XCTAssertEqual(EngineIOQuery.replacingCacheBuster(in: "/socket.io/?transport=polling&EIO=4&sid=abc&t=1796529501.72", with: "9-1"),
                       "/socket.io/?transport=polling&EIO=4&sid=abc&t=9-1")
        XCTAssertEqual(EngineIOQuery.replacingCacheBuster(in: "/socket.io/?t=O04g&EIO=4", with: "x"), "/socket.io/?t=x&EIO=4")
        // No `t` (a POST from python-socketio), no query: unchanged; `transport=` is not `t=`.
        XCTAssertEqual(EngineIOQuery.replacingCacheBuster(in: "/socket.io/?transport=polling&EIO=4", with: "x"), "/socket.io/?transport=polling&EIO=4")
        XCTAssertEqual(EngineIOQuery.replacingCacheBuster(in: "/socket.io/", with: "x"), "/socket.io/")
    }

    func testOpenSessionID() {
        XCTAssertEqual(EngineIOPacket.openSessionID(.text(#"0{"sid":"E04Zc2z7PVxNsugBAAAA","upgrades":["websocket"]}"#)), "E04Zc2z7PVxNsugBAAAA")
        XCTAssertEqual(EngineIOPacket.openSessionID(.text("0{\"sid\":\"a\"}\u{1E}40")), "a")
        XCTAssertNil(EngineIOPacket.openSessionID(.text(#"40{"sid":"x"}"#)))
        XCTAssertNil(EngineIOPacket.openSessionID(.text("ok")))
        XCTAssertNil(EngineIOPacket.openSessionID(nil))
    }
}

final class SocketIOAckIDTests: XCTestCase {
    func testFindsAndReplacesTheAckID() {
        XCTAssertEqual(SocketIOPacket.ackID(inEngineIOMessage: #"421["run"]"#)?.id, 1)
        XCTAssertEqual(SocketIOPacket.ackID(inEngineIOMessage: #"43/admin,12[{"ok":true}]"#)?.id, 12)
        XCTAssertEqual(SocketIOPacket.ackID(inEngineIOMessage: #"462-7[{"_placeholder":true,"num":0}]"#)?.id, 7)
        XCTAssertNil(SocketIOPacket.ackID(inEngineIOMessage: #"42["run"]"#))
        XCTAssertNil(SocketIOPacket.ackID(inEngineIOMessage: "40"))
        XCTAssertNil(SocketIOPacket.ackID(inEngineIOMessage: #"2["run"]"#), "not an Engine.IO message")
        XCTAssertEqual(SocketIOPacket.replacingAckID(inEngineIOMessage: #"431[{"ok":true}]"#, with: 27), #"4327[{"ok":true}]"#)
        XCTAssertEqual(SocketIOPacket.removingAckID(inEngineIOMessage: #"42/chat,5["m"]"#), #"42/chat,["m"]"#)
        XCTAssertEqual(SocketIOPacket.replacingAckID(inEngineIOMessage: "hello", with: 3), "hello")
    }

    func testPollingPayloadAckIDs() {
        let payload = "3\u{1E}" + #"421["run"]"# + "\u{1E}" + #"42["note"]"# + "\u{1E}" + #"435[{"ok":true}]"#
        XCTAssertEqual(SocketIOPacket.ackIDs(inPollingPayload: payload), [1, 5])
        XCTAssertEqual(SocketIOPacket.mappingAckIDs(inPollingPayload: payload) { $0 == 5 ? 0 : nil },
                       "3\u{1E}" + #"421["run"]"# + "\u{1E}" + #"42["note"]"# + "\u{1E}" + #"430[{"ok":true}]"#)
        XCTAssertEqual(SocketIOPacket.removingAckIDs(inPollingPayload: payload),
                       "3\u{1E}" + #"42["run"]"# + "\u{1E}" + #"42["note"]"# + "\u{1E}" + #"43[{"ok":true}]"#)
        XCTAssertEqual(SocketIOPacket.removingAckIDs(inPollingPayload: "ok"), "ok")
    }
}

final class EngineIOSessionIDsTests: XCTestCase {
    func testFreshIDsReplaceRecordedOnes() {
        XCTAssertEqual(EngineIOSessionIDs.random().count, 20)
        XCTAssertNotEqual(EngineIOSessionIDs.random(), EngineIOSessionIDs.random())
        var ids = EngineIOSessionIDs(generate: { "FRESH000000000000001" })
        XCTAssertEqual(ids.rewrite(.text(#"0{"sid":"E04Zc2z7PVxNsugBAAAA","upgrades":["websocket"]}"#)), .text(#"0{"sid":"FRESH000000000000001","upgrades":["websocket"]}"#))
        XCTAssertEqual(ids.fresh, ["E04Zc2z7PVxNsugBAAAA": "FRESH000000000000001"])
        XCTAssertEqual(ids.rewrite(.text("a E04Zc2z7PVxNsugBAAAA b")), .text("a FRESH000000000000001 b"))
        XCTAssertEqual(ids.rewrite(.text("ok")), .text("ok"))
        XCTAssertEqual(ids.rewrite(.binary([1, 2])), .binary([1, 2]))
        // The fresh sid follows its recorded session, and the heartbeat its open packet negotiated.
        XCTAssertEqual(ids.recorded["FRESH000000000000001"], "E04Zc2z7PVxNsugBAAAA")
        XCTAssertNil(ids.heartbeats["FRESH000000000000001"], "that open packet said no intervals")
        _ = ids.rewrite(.text(#"0{"sid":"OTHER0000000000000AA","pingInterval":300,"pingTimeout":1200}"#))
        XCTAssertEqual(ids.heartbeats["FRESH000000000000001"], EngineIOHeartbeat.Parameters(pingInterval: 0.3, pingTimeout: 1.2))
        // A CONNECT only another recorded session had moves the client there.
        ids.rebind(fresh: "FRESH000000000000001", to: "ANOTHER0000000000000")
        XCTAssertEqual(ids.recorded["FRESH000000000000001"], "ANOTHER0000000000000")
        XCTAssertEqual(ids.rewrite(.text(#"40{"sid":"x","of":"ANOTHER0000000000000"}"#)), .text(#"40{"sid":"x","of":"FRESH000000000000001"}"#))
    }
}
