import TrafficModel
import XCTest
@testable import Wire

/// The one framer (recorded message → frames) and its round trip through the
/// one reassembler: what a recorder made of frames, the framer makes again.
final class WebSocketFramerTests: XCTestCase {
    private func message(_ opcode: WebSocketOpcode, _ payload: Body, compressed: Bool = false, frames: [Int]? = nil) -> WebSocketMessage {
        WebSocketMessage(
            direction: .server, at: 0, opcode: opcode, payload: payload, compressed: compressed,
            frames: frames.map { lengths in
                lengths.enumerated().map { i, length in
                    WebSocketFrameInfo(fin: i == lengths.count - 1, opcode: i == 0 ? opcode : .continuation, rsv: compressed && i == 0 ? 4 : 0, length: length, masked: false)
                }
            }
        )
    }

    /// Frames back to a message, as Capture and both endpoints read them.
    private func reassemble(_ frames: [OutboundWebSocketFrame], deflate: PerMessageDeflateParameters? = nil) -> [WebSocketAssemblyEvent] {
        var assembler = WebSocketMessageAssembler(direction: .server, deflate: deflate)
        var offset = 0
        return frames.flatMap { frame in
            defer { offset += frame.payload.count + 2 }
            return assembler.push(WebSocketFrame(
                fin: frame.fin, rsv: frame.rsv1 ? 4 : 0, opcodeCode: frame.opcode.code, masked: false,
                payload: Array(frame.payload), startOffset: offset, endOffset: offset + frame.payload.count + 2
            ))
        }
    }

    func testBinaryThatIsValidUTF8StaysBinaryThroughTheRoundTrip() throws {
        let bytes = (0..<0x40).map { UInt8($0) }
        let frames = WebSocketFramer.frames(for: message(.binary, .binary(bytes)), deflater: nil)
        XCTAssertEqual(frames, [OutboundWebSocketFrame(fin: true, opcode: .binary, payload: bytes[...])])
        guard case .message(let assembled) = try XCTUnwrap(reassemble(frames).first) else { return XCTFail("no message") }
        let recorded = assembled.recorded(from: .server, at: 0)
        XCTAssertEqual(recorded.opcode, .binary)
        XCTAssertEqual(recorded.payload, .binary(bytes), "a binary message is never turned into text")
        XCTAssertNil(recorded.frames)
    }

    func testRecordedFragmentationIsKept() {
        let text = "hello, fragmented world"
        let frames = WebSocketFramer.frames(for: message(.text, .text(text), frames: [5, 10, 8]), deflater: nil)
        XCTAssertEqual(frames.map(\.payload.count), [5, 10, 8])
        XCTAssertEqual(frames.map(\.opcode), [.text, .continuation, .continuation])
        XCTAssertEqual(frames.map(\.fin), [false, false, true])
        XCTAssertEqual(frames.flatMap(\.payload), Array(text.utf8))
    }

    func testCompressedFragmentsRoundTripFrameForFrame() throws {
        let text = String(repeating: #"{"type":"agent_thinking","step":1}"#, count: 40)
        // The recorded compressed length is what this zlib makes of the message.
        let compressedLength = PerMessageDeflater().compress(Array(text.utf8)).count
        let layout = [compressedLength / 3, compressedLength / 3, compressedLength - 2 * (compressedLength / 3)]
        let recorded = message(.text, .text(text), compressed: true, frames: layout)
        let frames = WebSocketFramer.frames(for: recorded, deflater: PerMessageDeflater())
        XCTAssertEqual(frames.map(\.payload.count), layout)
        XCTAssertEqual(frames.map(\.rsv1), [true, false, false], "RSV1 on the first frame only (RFC 7692 §6)")

        let events = reassemble(frames, deflate: try PerMessageDeflateParameters.negotiated(fromResponseHeader: "permessage-deflate")!)
        guard case .message(let assembled) = try XCTUnwrap(events.first), events.count == 1 else { return XCTFail("\(events)") }
        let again = assembled.recorded(from: .server, at: 0)
        XCTAssertEqual(again.payload, recorded.payload)
        XCTAssertTrue(again.compressed)
        XCTAssertEqual(again.frames, recorded.frames)
    }

    func testAnotherCompressedLengthKeepsTheFrameCount() {
        // The recording's zlib produced other lengths: three frames still, split in proportion.
        let text = String(repeating: "abc", count: 100)
        let frames = WebSocketFramer.frames(for: message(.text, .text(text), compressed: true, frames: [40, 40, 20]), deflater: PerMessageDeflater())
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(frames.map(\.rsv1), [true, false, false])
        XCTAssertEqual(frames.flatMap(\.payload), PerMessageDeflater().compress(Array(text.utf8)))
        // Without an agreed deflater the message goes uncompressed, still in three frames.
        let plain = WebSocketFramer.frames(for: message(.text, .text(text), compressed: true, frames: [40, 40, 20]), deflater: nil)
        XCTAssertEqual(plain.map(\.payload.count), [120, 120, 60])
        XCTAssertEqual(plain.map(\.rsv1), [false, false, false])
    }

    func testFrameLengthsAddUpForEveryTotal() {
        for total in 0..<50 {
            for recorded in [[1, 1], [3, 0, 7], [10, 20, 30, 40], [0, 0]] {
                let lengths = WebSocketFramer.frameLengths(recorded: recorded, total: total)
                XCTAssertEqual(lengths.count, recorded.count)
                XCTAssertEqual(lengths.reduce(0, +), total)
                XCTAssertTrue(lengths.allSatisfy { $0 >= 0 })
            }
        }
        XCTAssertEqual(WebSocketFramer.frameLengths(recorded: [], total: 9), [9])
    }

    func testCloseAndControlFrames() {
        let close = WebSocketMessage(direction: .server, at: 0, opcode: .close, payload: .text("bye"), closeCode: 4001)
        XCTAssertEqual(WebSocketFramer.frames(for: close, deflater: PerMessageDeflater()), [
            OutboundWebSocketFrame(fin: true, opcode: .close, payload: ([0x0F, 0xA1] + Array("bye".utf8))[...]),
        ])
        let bare = WebSocketMessage(direction: .server, at: 0, opcode: .close, payload: .text(""))
        XCTAssertEqual(WebSocketFramer.frames(for: bare, deflater: nil).first?.payload.count, 0)
        let ping = WebSocketMessage(direction: .server, at: 0, opcode: .ping, payload: .text("p"), compressed: true)
        XCTAssertEqual(WebSocketFramer.frames(for: ping, deflater: PerMessageDeflater()), [OutboundWebSocketFrame(fin: true, opcode: .ping, payload: Array("p".utf8)[...])])
    }

    func testViolationsCarryTheCloseCodeAnEndpointSends() {
        var assembler = WebSocketMessageAssembler(direction: .server, deflate: nil, limits: WebSocketLimits(maxFramePayload: 100, maxMessageBytes: 4))
        func push(_ opcode: UInt8, _ payload: [UInt8], rsv: UInt8 = 0) -> [Int] {
            assembler.push(WebSocketFrame(fin: true, rsv: rsv, opcodeCode: opcode, masked: false, payload: payload, startOffset: 0, endOffset: 2 + payload.count))
                .compactMap { if case .violation(let v) = $0 { return v.closeCode } else { return nil } }
        }
        XCTAssertEqual(push(0x1, [0xFF]), [1007], "text that is not UTF-8")
        XCTAssertEqual(push(0x2, [1, 2, 3, 4, 5]), [1009], "over the message limit")
        XCTAssertEqual(push(0x2, [1], rsv: 4), [1002], "RSV1 without an extension")
    }
}
