import TestSupport
import TrafficModel
import XCTest

@testable import Wire

final class PerMessageDeflateTests: XCTestCase {
    // MARK: Negotiation

    func testNegotiatedParameters() throws {
        let parameters = try PerMessageDeflateParameters.negotiated(
            fromResponseHeader: "permessage-deflate; client_max_window_bits=10; server_no_context_takeover")
        XCTAssertEqual(parameters, PerMessageDeflateParameters(serverNoContextTakeover: true, clientMaxWindowBits: 10))
        XCTAssertEqual(parameters?.noContextTakeover(for: .server), true)
        XCTAssertEqual(parameters?.noContextTakeover(for: .client), false)

        XCTAssertEqual(try PerMessageDeflateParameters.negotiated(fromResponseHeader: "permessage-deflate"), PerMessageDeflateParameters())
        XCTAssertEqual(
            try PerMessageDeflateParameters.negotiated(
                fromResponseHeader: "x-foo; a=\"1,2\", Permessage-Deflate ;Client_No_Context_Takeover; server_max_window_bits=\"8\""),
            PerMessageDeflateParameters(clientNoContextTakeover: true, serverMaxWindowBits: 8)
        )
    }

    func testNotAccepted() throws {
        XCTAssertNil(try PerMessageDeflateParameters.negotiated(fromResponseHeader: nil))
        XCTAssertNil(try PerMessageDeflateParameters.negotiated(fromResponseHeader: ""))
        XCTAssertNil(try PerMessageDeflateParameters.negotiated(fromResponseHeader: "x-webkit-deflate-frame"))
        XCTAssertNil(try PerMessageDeflateParameters.negotiated(fromResponseHeader: "x-foo; permessage-deflate"))
    }

    func testInvalidNegotiation() {
        let cases: [(String, String)] = [
            ("permessage-deflate; client_max_window_bits=16", "needs a value from 8 to 15, got \"16\""),
            ("permessage-deflate; server_max_window_bits=7", "needs a value from 8 to 15"),
            ("permessage-deflate; server_max_window_bits=+9", "needs a value from 8 to 15"),
            ("permessage-deflate; client_max_window_bits", "got none"),
            ("permessage-deflate; server_no_context_takeover=1", "takes no value"),
            ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", "appears twice"),
            ("permessage-deflate; mystery=1", "unknown permessage-deflate parameter mystery"),
            ("permessage-deflate, permessage-deflate", "accepted more than once"),
        ]
        for (header, fragment) in cases {
            XCTAssertThrowsError(try PerMessageDeflateParameters.negotiated(fromResponseHeader: header), header) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(header): \(error)")
            }
        }
    }

    // MARK: Inflating

    func testCompressedMessageRoundTrip() {
        let text = Array("{\"type\":\"auth\",\"token\":\"eyJhbGciOiJIUzI1NiJ9\",\"token2\":\"eyJhbGciOiJIUzI1NiJ9\"}".utf8)
        let compressed = PerMessageDeflater().compress(text)
        XCTAssertLessThan(compressed.count, text.count)
        let events = assembleWebSocket(direction: .client, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: compressed, mask: 0x1122_3344),
            WebSocketWire.frame(opcode: 0x1, payload: Array("plain".utf8), mask: 0x5566_7788),
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages.map(\.payload), [text, Array("plain".utf8)])
        XCTAssertEqual(messages.map(\.compressed), [true, false])
        XCTAssertEqual(messages[0].frames, [WebSocketFrameInfo(fin: true, opcode: .text, rsv: 0b100, length: compressed.count, masked: true)])
        XCTAssertFalse(messages[0].payloadIsCompressed)
    }

    func testSecondMessageNeedsContextTakeover() {
        let first = Array("{\"op\":\"subscribe\",\"channel\":\"orders\",\"auth\":\"Bearer abcdefghijklmnop\"}".utf8)
        let second = Array("{\"op\":\"subscribe\",\"channel\":\"trades\",\"auth\":\"Bearer abcdefghijklmnop\"}".utf8)
        let deflater = PerMessageDeflater()
        let compressedFirst = deflater.compress(first)
        let compressedSecond = deflater.compress(second)
        // The second refers back into the first.
        XCTAssertLessThan(compressedSecond.count, compressedFirst.count / 2)
        let frames = [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: compressedFirst),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: compressedSecond),
        ]

        // Server frames; client_no_context_takeover does not concern them.
        let kept = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(clientNoContextTakeover: true), frames)
        XCTAssertEqual(webSocketViolations(kept), [])
        XCTAssertEqual(webSocketMessages(kept).map(\.payload), [first, second])

        // With server_no_context_takeover the inflater resets and the back
        // reference cannot be resolved.
        let reset = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(serverNoContextTakeover: true), frames)
        XCTAssertEqual(webSocketViolations(reset).map(\.kind), [.decompression])
        assertWebSocketViolation(reset, "did not inflate")
        let messages = self.webSocketMessages(reset)
        XCTAssertEqual(messages[0].payload, first)
        XCTAssertEqual(messages[1].payload, compressedSecond)
        XCTAssertTrue(messages[1].payloadIsCompressed)
        XCTAssertTrue(messages[1].compressed)
    }

    func testNoContextTakeoverSender() {
        let texts = (0..<5).map { Array("message \($0): the same words again and again and again".utf8) }
        let deflater = PerMessageDeflater(windowBits: 9, noContextTakeover: true)
        let frames = texts.map { WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: deflater.compress($0), mask: 0x0BAD_F00D) }
        for parameters in [
            PerMessageDeflateParameters(clientNoContextTakeover: true, clientMaxWindowBits: 9),
            PerMessageDeflateParameters(),
        ] {
            let events = assembleWebSocket(direction: .client, deflate: parameters, frames)
            XCTAssertEqual(webSocketViolations(events), [])
            XCTAssertEqual(webSocketMessages(events).map(\.payload), texts)
        }
    }

    func testFragmentedCompressedMessageWithPingBetweenFragments() {
        var rng = SplitMix64(seed: 11)
        let words = ["token", "session", "user", "expires", "scope", "refresh"]
        let text = Array((0..<2000).map { _ in words[Int(rng.next() % 6)] }.joined(separator: " ").utf8)
        let deflater = PerMessageDeflater()
        let warmUp = deflater.compress(Array("token session user".utf8))
        let compressed = deflater.compress(text)
        let a = compressed.count / 3
        let b = 2 * compressed.count / 3
        let events = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x2, payload: warmUp),
            WebSocketWire.frame(fin: false, rsv: 0b100, opcode: 0x1, payload: Array(compressed[..<a])),
            WebSocketWire.frame(fin: false, opcode: 0x0, payload: Array(compressed[a..<b])),
            WebSocketWire.frame(opcode: 0x9, payload: Array("ping".utf8)),
            WebSocketWire.frame(opcode: 0x0, payload: Array(compressed[b...])),
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages.map(\.opcode), [.binary, .ping, .text])
        XCTAssertEqual(messages[2].payload, text)
        XCTAssertTrue(messages[2].compressed)
        XCTAssertEqual(messages[2].frames.map(\.rsv), [0b100, 0, 0])
        XCTAssertEqual(messages[2].frames.map(\.length).reduce(0, +), compressed.count)
    }

    func testSenderClosingTheDeflateStreamKeepsTheWindow() {
        // A final block (BFINAL) is allowed (RFC 7692 §7.2.3.3); the next message
        // may still refer back into it.
        let first = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let finalBlock = rawDeflateFinished(first)
        let deflater = PerMessageDeflater()
        _ = deflater.compress(first)
        let second = deflater.compress(first)
        let events = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: finalBlock),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: second),
        ])
        XCTAssertEqual(webSocketViolations(events), [])
        XCTAssertEqual(webSocketMessages(events).map(\.payload), [first, first])
    }

    func testCorruptDataKeepsCompressedBytesAndLaterMessagesStillInflate() {
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0x00, 0x13]
        let good = Array("still fine".utf8)
        let events = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: garbage),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: PerMessageDeflater().compress(good)),
        ])
        XCTAssertEqual(webSocketViolations(events).count, 1)
        XCTAssertEqual(webSocketViolations(events).first?.kind, .decompression)
        assertWebSocketViolation(events, "the 5 compressed bytes are kept as sent")
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages[0].payload, garbage)
        XCTAssertTrue(messages[0].payloadIsCompressed)
        XCTAssertEqual(messages[1].payload, good)
    }

    func testDecompressionBombStopsAtTheLimit() {
        let zeros = [UInt8](repeating: 0, count: 50_000_000)
        let bomb = PerMessageDeflater(level: 9).compress(zeros)
        XCTAssertLessThan(bomb.count, 100_000)
        let limit = WebSocketLimits.default.maxMessageBytes
        let events = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x2, payload: bomb),
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: PerMessageDeflater().compress(Array("after".utf8))),
        ])
        XCTAssertEqual(webSocketViolations(events).map(\.kind), [.limit])
        assertWebSocketViolation(events, "decompression bomb / message over limit")
        let messages = self.webSocketMessages(events)
        XCTAssertEqual(messages[0].payload.count, limit)
        XCTAssertLessThanOrEqual(messages[0].payload.capacity, limit + 4096, "output buffer grew past the limit")
        XCTAssertEqual(stride(from: 0, to: limit, by: 4099).map { messages[0].payload[$0] }.max(), 0)
        XCTAssertEqual(messages[1].payload, Array("after".utf8))
    }

    func testOutputExactlyAtTheLimitIsNotCut() {
        let text = [UInt8](repeating: 0x41, count: 1000)
        let compressed = PerMessageDeflater().compress(text)
        let exact = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), limits: WebSocketLimits(maxMessageBytes: 1000), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: compressed)
        ])
        XCTAssertEqual(webSocketViolations(exact), [])
        XCTAssertEqual(webSocketMessages(exact).first?.payload, text)
        let over = assembleWebSocket(direction: .server, deflate: PerMessageDeflateParameters(), limits: WebSocketLimits(maxMessageBytes: 999), [
            WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: compressed)
        ])
        XCTAssertEqual(webSocketViolations(over).map(\.kind), [.limit])
        XCTAssertEqual(webSocketMessages(over).first?.payload.count, 999)
    }

    func testCopiedAssemblerKeepsItsOwnContext() throws {
        let deflater = PerMessageDeflater()
        let first = Array("shared context shared context shared context".utf8)
        let second = Array("shared context again".utf8)
        var parser = WebSocketFrameParser()
        parser.append(WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: deflater.compress(first)))
        parser.append(WebSocketWire.frame(rsv: 0b100, opcode: 0x1, payload: deflater.compress(second)))
        var original = WebSocketMessageAssembler(direction: .server, deflate: PerMessageDeflateParameters())
        XCTAssertEqual(webSocketMessages(original.push(try XCTUnwrap(try parser.nextFrame()))).first?.payload, first)
        var copy = original
        let frame = try XCTUnwrap(try parser.nextFrame())
        XCTAssertEqual(webSocketMessages(copy.push(frame)).first?.payload, second)
        XCTAssertEqual(webSocketMessages(original.push(frame)).first?.payload, second)
    }

    /// Raw deflate of one message ending in a final block, as some senders do.
    private func rawDeflateFinished(_ bytes: [UInt8]) -> [UInt8] {
        // A single stored block with BFINAL set: 0x01, LEN, NLEN, data.
        let length = UInt16(bytes.count)
        return [0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + bytes
    }
}
