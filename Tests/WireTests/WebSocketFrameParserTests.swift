import TestSupport
import TrafficModel
import XCTest

@testable import Wire

final class WebSocketFrameParserTests: XCTestCase {
    func testSevenSixteenAndSixtyFourBitLengths() throws {
        for length in [0, 1, 125, 126, 300, 65535, 65536, 70000] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let wire = WebSocketWire.frame(opcode: 0x2, payload: payload)
            let expectedHeader = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
            XCTAssertEqual(wire.count, expectedHeader + length)
            var parser = WebSocketFrameParser()
            parser.append(wire)
            let frame = try XCTUnwrap(try parser.nextFrame(), "length \(length)")
            XCTAssertEqual(frame.payload, payload)
            XCTAssertEqual(frame.opcode, .binary)
            XCTAssertTrue(frame.fin)
            XCTAssertFalse(frame.masked)
            XCTAssertFalse(frame.nonMinimalLength)
            XCTAssertEqual(frame.startOffset, 0)
            XCTAssertEqual(frame.endOffset, wire.count)
            XCTAssertNil(try parser.nextFrame())
            XCTAssertEqual(parser.streamOffset, wire.count)
        }
    }

    func testMaskedPayloadIsUnmaskedForEveryLengthAndAlignment() throws {
        var rng = SplitMix64(seed: 7)
        for length in 0..<70 {
            let payload = (0..<length).map { _ in rng.nextByte() }
            let key = UInt32(truncatingIfNeeded: rng.next())
            let wire = WebSocketWire.frame(opcode: 0x1, payload: payload, mask: key)
            var parser = WebSocketFrameParser()
            parser.append([0x8A, 0x00])  // an empty pong first, so the payload is not 8-byte aligned
            parser.append(wire)
            XCTAssertEqual(try parser.nextFrame()?.opcode, .pong)
            let frame = try XCTUnwrap(try parser.nextFrame())
            XCTAssertTrue(frame.masked)
            XCTAssertEqual(frame.maskingKey, key)
            XCTAssertEqual(frame.payload, payload, "length \(length)")
            XCTAssertEqual(frame.startOffset, 2)
        }
    }

    func testHeaderBitsAreReported() throws {
        var parser = WebSocketFrameParser()
        // FIN clear, RSV1+RSV3, reserved opcode 0x3.
        parser.append([0b0101_0011, 0x01, 0xAB])
        let frame = try XCTUnwrap(try parser.nextFrame())
        XCTAssertFalse(frame.fin)
        XCTAssertEqual(frame.rsv, 0b101)
        XCTAssertEqual(frame.opcodeCode, 3)
        XCTAssertNil(frame.opcode)
        XCTAssertEqual(frame.payload, [0xAB])
    }

    func testNonMinimalLengthIsParsedAndFlagged() throws {
        var parser = WebSocketFrameParser()
        parser.append(WebSocketWire.frame(opcode: 0x1, payload: Array("hi".utf8), lengthEncoding: .sixteen))
        parser.append(WebSocketWire.frame(opcode: 0x1, payload: Array(repeating: 0x61, count: 300), lengthEncoding: .sixtyFour))
        let first = try XCTUnwrap(try parser.nextFrame())
        XCTAssertEqual(first.payload, Array("hi".utf8))
        XCTAssertTrue(first.nonMinimalLength)
        let second = try XCTUnwrap(try parser.nextFrame())
        XCTAssertEqual(second.payload.count, 300)
        XCTAssertTrue(second.nonMinimalLength)
    }

    func testLengthWithTopBitSetFailsWithoutWaitingForPayload() {
        var parser = WebSocketFrameParser()
        parser.append([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try parser.nextFrame()) { error in
            let error = error as? WireError
            XCTAssertEqual(error?.code, .lengthTopBitSet)
            XCTAssertEqual(error?.location.offset, 0)
            XCTAssertTrue(error?.reason.contains("9223372036854775808") ?? false, "\(String(describing: error))")
        }
        // Sticky: the frame boundary is lost.
        parser.append([0x81, 0x00])
        XCTAssertThrowsError(try parser.nextFrame())
        XCTAssertEqual(parser.bytesDroppedAfterError, 2)
        XCTAssertEqual(parser.bufferedBytes.count, 10)
    }

    func testHugeLengthOverLimitFailsClearlyWithoutAllocating() {
        var parser = WebSocketFrameParser()
        parser.append(WebSocketWire.frame(opcode: 0x1, payload: Array("ok".utf8)))
        // 2^62 bytes claimed; only the 10-byte header is present.
        parser.append([0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try parser.nextFrame()?.payload, Array("ok".utf8))
        XCTAssertThrowsError(try parser.nextFrame()) { error in
            let error = error as? WireError
            XCTAssertEqual(error?.code, .framePayloadOverLimit)
            XCTAssertEqual(error?.location.offset, 4)
            XCTAssertTrue(error?.description.contains("4611686018427387904") ?? false, "\(String(describing: error))")
            XCTAssertTrue(error?.description.contains("16777216") ?? false)
        }
    }

    func testCustomFrameLimit() throws {
        var parser = WebSocketFrameParser(limits: WebSocketLimits(maxFramePayload: 1000))
        parser.append(WebSocketWire.frame(opcode: 0x2, payload: Array(repeating: 1, count: 1000)))
        XCTAssertEqual(try parser.nextFrame()?.payload.count, 1000)
        parser.append(Array(WebSocketWire.frame(opcode: 0x2, payload: Array(repeating: 1, count: 1001)).prefix(4)))
        XCTAssertThrowsError(try parser.nextFrame()) { error in
            XCTAssertTrue("\(error)".contains("1001-byte payload, over the 1000-byte limit"), "\(error)")
        }
    }

    func testWholeBatchedAndDripFedInputGiveTheSameFrames() throws {
        var rng = SplitMix64(seed: 42)
        let wire = WebSocketWire.randomStream(frames: 60, rng: &rng)
        let whole = try parseAll([wire])
        XCTAssertEqual(whole.frames.count, 60)
        XCTAssertEqual(whole.frames.last?.endOffset, wire.count)
        XCTAssertEqual(whole.offset, wire.count)

        for _ in 0..<10 {
            var chunks: [[UInt8]] = []
            var index = 0
            while index < wire.count {
                let size = Int(rng.next() % 9000) + 1
                chunks.append(Array(wire[index..<min(wire.count, index + size)]))
                index += size
            }
            let batched = try parseAll(chunks)
            XCTAssertEqual(batched.frames, whole.frames)
            XCTAssertEqual(batched.offset, whole.offset)
        }
        let dripped = try parseAll(wire.map { [$0] })
        XCTAssertEqual(dripped.frames, whole.frames)
    }

    func testEveryProperPrefixIsIncomplete() throws {
        var rng = SplitMix64(seed: 3)
        let frames: [[UInt8]] = [
            WebSocketWire.frame(opcode: 0x1, payload: Array("hello".utf8), mask: 0x1234_5678),
            WebSocketWire.frame(fin: false, opcode: 0x2, payload: (0..<200).map { _ in rng.nextByte() }),
            WebSocketWire.frame(opcode: 0x0, payload: (0..<130).map { _ in rng.nextByte() }, mask: 0xDEAD_BEEF, lengthEncoding: .sixtyFour),
            WebSocketWire.frame(opcode: 0x8, payload: [0x03, 0xE8]),
        ]
        let wire = frames.flatMap { $0 }
        let complete = try parseAll([wire]).frames
        XCTAssertEqual(complete.count, frames.count)
        for length in 0..<wire.count {
            let prefix = try parseAll([Array(wire[0..<length])])
            let expected = complete.filter { $0.endOffset <= length }
            XCTAssertEqual(prefix.frames, expected, "prefix \(length)")
            XCTAssertEqual(prefix.offset, expected.last?.endOffset ?? 0)
            XCTAssertEqual(prefix.buffered, length - prefix.offset)
        }
    }

    func testBufferedBytesOfAPartialFrameAreTheWireBytes() throws {
        // A masked frame cut inside its payload, then fed in pieces that
        // start at every key phase: what is buffered is always what was sent.
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let wire = WebSocketWire.frame(opcode: 0x2, payload: payload, mask: 0xA1B2_C3D4) + [0x81, 0x05]
        var parser = WebSocketFrameParser()
        var fed = 0
        for size in [9, 1, 2, 3, 5, 7, 11, 64, 200] {
            parser.append(wire[fed..<(fed + size)])
            fed += size
            XCTAssertNil(try parser.nextFrame())
            XCTAssertEqual(Array(parser.bufferedBytes), Array(wire[0..<fed]), "after \(fed) bytes")
            XCTAssertEqual(parser.streamOffset, 0)
        }
        parser.append(wire[fed...])
        let frame = try XCTUnwrap(try parser.nextFrame())
        XCTAssertEqual(frame.payload, payload)
        XCTAssertEqual(frame.endOffset, wire.count - 2)
        XCTAssertEqual(Array(parser.bufferedBytes), [0x81, 0x05])
        XCTAssertNil(try parser.nextFrame())
    }

    func testOffsetsSurviveCompactionOfALongStream() throws {
        // Many small frames, fed in pieces that always leave a partial frame
        // buffered, so the consumed prefix is compacted mid-buffer.
        var wire: [UInt8] = []
        for i in 0..<20_000 {
            wire += WebSocketWire.frame(opcode: 0x2, payload: [UInt8](repeating: UInt8(i & 0xFF), count: 9))
        }
        var parser = WebSocketFrameParser()
        var count = 0
        var index = 0
        while index < wire.count {
            parser.append(wire[index..<min(wire.count, index + 100_003)])
            index += 100_003
            while let frame = try parser.nextFrame() {
                XCTAssertEqual(frame.startOffset, count * 11)
                XCTAssertEqual(frame.payload.first, UInt8(count & 0xFF))
                count += 1
            }
        }
        XCTAssertEqual(count, 20_000)
    }

    private func parseAll(_ chunks: [[UInt8]]) throws -> (frames: [WebSocketFrame], offset: Int, buffered: Int) {
        var parser = WebSocketFrameParser()
        var frames: [WebSocketFrame] = []
        for chunk in chunks {
            parser.append(chunk)
            while let frame = try parser.nextFrame() {
                frames.append(frame)
            }
        }
        return (frames, parser.streamOffset, parser.bufferedBytes.count)
    }
}

/// Builds WebSocket wire bytes for the WebSocket and permessage-deflate tests.
enum WebSocketWire {
    enum LengthEncoding {
        case minimal, sixteen, sixtyFour
    }

    static func frame(
        fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], mask: UInt32? = nil,
        lengthEncoding: LengthEncoding = .minimal
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let encoding: LengthEncoding
        switch lengthEncoding {
        case .minimal: encoding = payload.count < 126 ? .minimal : payload.count <= 0xFFFF ? .sixteen : .sixtyFour
        case .sixteen, .sixtyFour: encoding = lengthEncoding
        }
        switch encoding {
        case .minimal:
            bytes.append(maskBit | UInt8(payload.count))
        case .sixteen:
            bytes.append(maskBit | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        case .sixtyFour:
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (8 * UInt64($0))) }
        }
        if let mask {
            let key: [UInt8] = [UInt8(mask >> 24), UInt8(truncatingIfNeeded: mask >> 16), UInt8(truncatingIfNeeded: mask >> 8), UInt8(truncatingIfNeeded: mask)]
            bytes += key
            bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            bytes += payload
        }
        return bytes
    }

    /// Frames of every length encoding, masked and not.
    static func randomStream(frames: Int, rng: inout SplitMix64) -> [UInt8] {
        var wire: [UInt8] = []
        for _ in 0..<frames {
            let length: Int
            switch rng.next() % 10 {
            case 0: length = 65536 + Int(rng.next() % 2000)
            case 1, 2: length = 126 + Int(rng.next() % 3000)
            default: length = Int(rng.next() % 126)
            }
            let payload = (0..<length).map { _ in rng.nextByte() }
            let mask: UInt32? = rng.next() % 2 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : nil
            wire += frame(fin: rng.next() % 3 != 0, opcode: [0x0, 0x1, 0x2, 0x9][Int(rng.next() % 4)], payload: payload, mask: mask)
        }
        return wire
    }
}

