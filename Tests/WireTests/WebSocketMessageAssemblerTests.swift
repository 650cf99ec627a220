import TrafficModel
import XCTest

@testable import Wire

final class WebSocketMessageAssemblerTests: XCTestCase {
    func testFragmentedTextWithPingInTheMiddle() {
        let events = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(fin: false, opcode: 0x1, payload: Array("Hel".utf8)),
            WebSocketWire.frame(opcode: 0x9, payload: Array("are you there".utf8)),
            WebSocketWire.frame(fin: false, opcode: 0x0, payload: Array("lo ".utf8)),
            WebSocketWire.frame(opcode: 0x0, payload: Array("wörld".utf8)),
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages.map(\.opcode), [.ping, .text])
        XCTAssertEqual(messages[0].payload, Array("are you there".utf8))
        XCTAssertEqual(messages[1].payload, Array("Hello wörld".utf8))
        XCTAssertEqual(messages[1].frames.map(\.opcode), [.text, .continuation, .continuation])
        XCTAssertEqual(messages[1].frames.map(\.fin), [false, false, true])
        XCTAssertEqual(messages[1].frames.map(\.length), [3, 3, 6])
        XCTAssertTrue(messages[1].isComplete)
        XCTAssertEqual(messages[1].startOffset, 0)
        XCTAssertEqual(messages[1].endOffset, 5 + 15 + 5 + 8)
        XCTAssertFalse(messages[1].compressed)
    }

    func testMaskedClientFramesAreClean() {
        let events = assembleWebSocket(direction: .client, [
            WebSocketWire.frame(opcode: 0x2, payload: [1, 2, 3], mask: 0xA1B2_C3D4),
            WebSocketWire.frame(opcode: 0xA, payload: [], mask: 0x0102_0304),
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        XCTAssertEqual(webSocketMessages(events).map(\.opcode), [.binary, .pong])
        XCTAssertEqual(webSocketMessages(events).first?.payload, [1, 2, 3])
        XCTAssertEqual(webSocketMessages(events).first?.frames, [WebSocketFrameInfo(fin: true, opcode: .binary, length: 3, masked: true)])
    }

    func testCloseCodeAndReason() {
        let events = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(opcode: 0x8, payload: [0x0F, 0xA0] + Array("token expired".utf8))
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        let close = webSocketMessages(events).first
        XCTAssertEqual(close?.opcode, .close)
        XCTAssertEqual(close?.closeCode, 4000)
        XCTAssertEqual(close?.payload, Array("token expired".utf8))
    }

    func testEmptyCloseHasNoCode() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x8, payload: [])])
        XCTAssertEqual(webSocketViolations(events), [])
        XCTAssertNil(webSocketMessages(events).first?.closeCode)
        XCTAssertEqual(webSocketMessages(events).first?.payload, [])
    }

    func testUnmaskedClientFrame() {
        let events = assembleWebSocket(direction: .client, [WebSocketWire.frame(opcode: 0x1, payload: Array("hi".utf8))])
        assertWebSocketViolation(events, "client frame is not masked")
        XCTAssertEqual(webSocketMessages(events).first?.payload, Array("hi".utf8))
        XCTAssertEqual(webSocketMessages(events).first?.frames.first?.masked, false)
    }

    func testMaskedServerFrame() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x1, payload: Array("hi".utf8), mask: 7)])
        assertWebSocketViolation(events, "server frame is masked")
        XCTAssertEqual(webSocketMessages(events).first?.payload, Array("hi".utf8))
    }

    func testControlFramePayloadOver125() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x9, payload: Array(repeating: 0x70, count: 126))])
        assertWebSocketViolation(events, "ping frame payload is 126 bytes, over 125")
        XCTAssertEqual(webSocketMessages(events).first?.payload.count, 126)
    }

    func testFragmentedControlFrame() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(fin: false, opcode: 0xA, payload: [1])])
        assertWebSocketViolation(events, "pong frame is fragmented")
        XCTAssertEqual(webSocketMessages(events).map(\.opcode), [.pong])
    }

    func testReservedBitsWithoutExtension() {
        let events = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: Array("a".utf8)),
            WebSocketWire.frame(rsv: 0b010, opcode: 0x1, payload: Array("b".utf8)),
        ])
        XCTAssertEqual(webSocketViolations(events).count, 2)
        assertWebSocketViolation(events, "RSV1 set but no extension was negotiated")
        assertWebSocketViolation(events, "RSV2/RSV3 set (rsv=0b10)")
        // Without permessage-deflate RSV1 does not mean compressed.
        XCTAssertEqual(webSocketMessages(events).map(\.payload), [Array("a".utf8), Array("b".utf8)])
        XCTAssertEqual(webSocketMessages(events).map(\.compressed), [false, false])
        XCTAssertEqual(webSocketMessages(events).first?.frames.first?.rsv, 0b100)
    }

    func testRSV1OnContinuationAndControlFramesWithDeflate() {
        let deflater = PerMessageDeflater()
        let compressed = deflater.compress(Array("hello hello".utf8))
        let events = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(fin: false, rsv: 0b100, opcode: 0x1, payload: Array(compressed.prefix(3))),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x0, payload: Array(compressed.dropFirst(3))),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x9, payload: []),
        ])
        assertWebSocketViolation(events, "RSV1 set on a continuation frame")
        assertWebSocketViolation(events, "RSV1 set on a ping frame")
        XCTAssertEqual(webSocketMessages(events).map(\.opcode), [.text, .ping])
        XCTAssertEqual(webSocketMessages(events).first?.payload, Array("hello hello".utf8))
    }

    func testOneByteClosePayload() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x8, payload: [0x03])])
        assertWebSocketViolation(events, "close frame payload is 1 byte")
        XCTAssertNil(webSocketMessages(events).first?.closeCode)
        XCTAssertEqual(webSocketMessages(events).first?.payload, [0x03])
    }

    func testCloseCodes() {
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999] {
            let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])])
            XCTAssertEqual(webSocketViolations(events), [], "code \(code)")
            XCTAssertEqual(webSocketMessages(events).first?.closeCode, code)
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])])
            assertWebSocketViolation(events, "close code \(code) must not be sent")
            XCTAssertEqual(webSocketMessages(events).first?.closeCode, code)
        }
    }

    func testCloseReasonNotUTF8() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x8, payload: [0x03, 0xE8, 0xFF, 0xFE])])
        assertWebSocketViolation(events, "close reason is not valid UTF-8")
        XCTAssertEqual(webSocketMessages(events).first?.payload, [0xFF, 0xFE])
    }

    func testTextNotUTF8KeepsTheBytes() {
        // A 2-byte sequence split across frames is fine; a lone continuation byte is not.
        let good = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(fin: false, opcode: 0x1, payload: [0x61, 0xC3]),
            WebSocketWire.frame(opcode: 0x0, payload: [0xA9]),
        ])
        XCTAssertEqual(webSocketViolations(good), [])
        let bad = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x1, payload: [0x61, 0x80, 0x62])])
        assertWebSocketViolation(bad, "text message is not valid UTF-8")
        XCTAssertEqual(webSocketMessages(bad).first?.payload, [0x61, 0x80, 0x62])
        XCTAssertEqual(webSocketMessages(bad).first?.opcode, .text)
    }

    func testNonMinimalLength() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x2, payload: [9], lengthEncoding: .sixtyFour)])
        assertWebSocketViolation(events, "payload length 1 is not encoded in the minimal number of bytes")
        XCTAssertEqual(webSocketMessages(events).first?.payload, [9])
    }

    func testReservedOpcodeIsReportedAndDropped() {
        let events = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(opcode: 0xB, payload: [1, 2]),
            WebSocketWire.frame(opcode: 0x2, payload: [3]),
        ])
        assertWebSocketViolation(events, "reserved opcode 0xB")
        XCTAssertEqual(webSocketMessages(events).map(\.payload), [[3]])
    }

    func testContinuationWithoutMessage() {
        let events = assembleWebSocket(direction: .server, [WebSocketWire.frame(opcode: 0x0, payload: [5, 6])])
        assertWebSocketViolation(events, "continuation frame with no message in progress")
        let message = webSocketMessages(events).first
        XCTAssertEqual(message?.opcode, .binary)
        XCTAssertEqual(message?.payload, [5, 6])
        XCTAssertEqual(message?.frames.first?.opcode, .continuation)
    }

    func testNewDataFrameWhileFragmentedMessageIsOpen() {
        let events = assembleWebSocket(direction: .server, [
            WebSocketWire.frame(fin: false, opcode: 0x1, payload: Array("part".utf8)),
            WebSocketWire.frame(opcode: 0x2, payload: [1]),
        ])
        assertWebSocketViolation(events, "starts a new message while a fragmented message is unfinished")
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages.map(\.opcode), [.text, .binary])
        XCTAssertEqual(messages[0].payload, Array("part".utf8))
        XCTAssertFalse(messages[0].isComplete)
        XCTAssertTrue(messages[1].isComplete)
    }

    func testFinishEmitsTheUnfinishedMessage() {
        var assembler = WebSocketMessageAssembler(direction: .server, deflate: nil)
        var parser = WebSocketFrameParser()
        parser.append(WebSocketWire.frame(fin: false, opcode: 0x1, payload: Array("cut".utf8)))
        let frame = try! XCTUnwrap(try parser.nextFrame())
        XCTAssertEqual(assembler.push(frame), [])
        XCTAssertTrue(assembler.hasPartialMessage)
        let events = assembler.finish()
        assertWebSocketViolation(events, "the stream ended inside a fragmented text message after 1 frame(s)")
        XCTAssertEqual(webSocketMessages(events).first?.payload, Array("cut".utf8))
        XCTAssertEqual(assembler.finish(), [])
    }

    func testUncompressedMessageOverLimitIsTruncated() {
        let events = assembleWebSocket(direction: .server, limits: WebSocketLimits(maxMessageBytes: 100), [
            WebSocketWire.frame(fin: false, opcode: 0x2, payload: Array(repeating: 1, count: 80)),
            WebSocketWire.frame(opcode: 0x0, payload: Array(repeating: 2, count: 70)),
        ])
        XCTAssertEqual(webSocketViolations(events).map(\.kind), [.limit])
        assertWebSocketViolation(events, "the last 50 wire bytes were dropped")
        XCTAssertEqual(webSocketMessages(events).first?.payload, Array(repeating: 1, count: 80) + Array(repeating: 2, count: 20))
        XCTAssertEqual(webSocketMessages(events).first?.frames.map(\.length), [80, 70])
    }

    func testViolationsComeBeforeTheirMessage() {
        let events = assembleWebSocket(direction: .client, [WebSocketWire.frame(opcode: 0x8, payload: [0x03, 0xED])])
        guard events.count == 3, case .message = events[2] else {
            return XCTFail("expected two violations then the message: \(events)")
        }
    }
}

// Shared by the permessage-deflate tests.
extension XCTestCase {
    func assembleWebSocket(
        direction: Direction, deflate: PerMessageDeflateParameters? = nil, limits: WebSocketLimits = .default, _ frames: [[UInt8]]
    ) -> [WebSocketAssemblyEvent] {
        var parser = WebSocketFrameParser(limits: limits)
        var assembler = WebSocketMessageAssembler(direction: direction, deflate: deflate, limits: limits)
        var events: [WebSocketAssemblyEvent] = []
        parser.append(frames.flatMap { $0 })
        do {
            while let frame = try parser.nextFrame() {
                events += assembler.push(frame)
            }
        } catch {
            XCTFail("unexpected parse error \(error)")
        }
        XCTAssertEqual(parser.bufferedBytes.count, 0)
        return events + assembler.finish()
    }

    func webSocketMessages(_ events: [WebSocketAssemblyEvent]) -> [AssembledWebSocketMessage] {
        events.compactMap { event in
            if case .message(let message) = event { return message }
            return nil
        }
    }

    func webSocketViolations(_ events: [WebSocketAssemblyEvent]) -> [WebSocketViolation] {
        events.compactMap { event in
            if case .violation(let violation) = event { return violation }
            return nil
        }
    }

    func assertWebSocketViolation(_ events: [WebSocketAssemblyEvent], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = webSocketViolations(events)
        XCTAssertTrue(found.contains { $0.detail.contains(fragment) }, "no violation containing \"\(fragment)\" in \(found)", file: file, line: line)
    }
}
