import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// Feeding the same bytes in different pieces must not change the result,
/// and large bodies must stream in bounded memory.
final class HTTP1ParserStreamingTests: XCTestCase {
    static let requestStream = bytes(
        "\r\nGET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n b\r\n\r\n"
            + "POST /b HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"
            + "PUT /c HTTP/1.1\nTransfer-Encoding: chunked\n\n4;ext=1\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"
            + "HEAD /d HTTP/1.1\r\n\r\n"
            + "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        + [0x81, 0x80, 0, 0, 0, 0]
    static let requestMethods = ["GET", "POST", "PUT", "HEAD", "GET"]
    static let responseStream = bytes(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            + "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 77\r\n\r\n"
            + "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
        + [0x81, 0x01, 0x41]
    static let closeDelimitedStream = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 500 Oops\r\nServer: x\r\n\r\n<html>bye</html>")

    private static let inputs: [(HTTP1Parser.Role, [UInt8], [String])] = [
        (.request, requestStream, []),
        (.response, responseStream, requestMethods),
        (.response, closeDelimitedStream, ["GET", "GET"]),
    ]

    func testStreamsParseAsExpected() {
        let requests = runHTTP1(.request, Self.requestStream)
        XCTAssertNil(requests.error)
        XCTAssertEqual(requests.messages.map(\.method), Self.requestMethods)
        XCTAssertEqual(requests.status, .awaitingUpgradeDecision)
        XCTAssertEqual(requests.remaining, [0x81, 0x80, 0, 0, 0, 0])

        let responses = runHTTP1(.response, Self.responseStream, methods: Self.requestMethods)
        XCTAssertNil(responses.error)
        XCTAssertEqual(responses.messages.map(\.status), [200, 100, 201, 204, 200, 101])
        XCTAssertEqual(responses.status, .switchedProtocols)
        XCTAssertEqual(responses.remaining, [0x81, 0x01, 0x41])

        let close = runHTTP1(.response, Self.closeDelimitedStream, methods: ["GET", "GET"])
        XCTAssertEqual(close.messages.last?.body, bytes("<html>bye</html>"))
    }

    func testWholeBatchedAndByteByByteAgree() {
        var rng = SplitMix64(seed: 0x4854_5450)
        for (role, input, methods) in Self.inputs {
            let whole = runHTTP1(role, input, methods: methods)
            let dripped = runHTTP1(role, input, batches: Array(repeating: 1, count: input.count), methods: methods)
            XCTAssertEqual(dripped, whole)
            for _ in 0..<200 {
                var batches: [Int] = []
                var total = 0
                while total < input.count {
                    let size = 1 + rng.next(upTo: rng.next(upTo: 2) == 0 ? 8 : 64)
                    batches.append(size)
                    total += size
                }
                let batched = runHTTP1(role, input, batches: batches, methods: methods)
                XCTAssertEqual(batched, whole, "batches \(batches)")
                if batched != whole { return }
            }
        }
    }

    /// Without `finish()`, a proper prefix yields a prefix of the messages and
    /// never an error; with it, anything but a crash or a wrong message.
    func testEveryProperPrefixIsIncomplete() {
        for (role, input, methods) in Self.inputs {
            let whole = runHTTP1(role, input, methods: methods)
            for length in 0..<input.count {
                let prefix = Array(input[..<length])
                let partial = runHTTP1(role, prefix, methods: methods, finish: false)
                XCTAssertNil(partial.error, "prefix \(length)")
                XCTAssertLessThanOrEqual(partial.events.count, whole.events.count)
                XCTAssertEqual(partial.events, Array(whole.events.prefix(partial.events.count)), "prefix \(length)")
                for message in partial.messages { XCTAssertLessThanOrEqual(message.endOffset, length) }
                // Every message whose last byte is missing is still pending.
                let completeInPrefix = whole.messages.filter { $0.endOffset <= length && $0.framing != .close }.count
                XCTAssertEqual(partial.messages.filter { $0.framing != .close }.count, completeInPrefix, "prefix \(length)")

                let finished = runHTTP1(role, prefix, methods: methods)
                for case .message(let message) in finished.events where message.framing != .close {
                    XCTAssertTrue(whole.messages.contains(message), "prefix \(length) finished with a message not in the whole stream")
                }
            }
        }
    }

    func testBodyOverLimitIsTruncatedAndTheNextMessageStillParses() {
        let limits = HTTP1Limits(maxBodyBytes: 10)
        let body = (0..<100).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        var input = bytes("POST /big HTTP/1.1\r\nContent-Length: 100\r\n\r\n") + body
        input += bytes("POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n") + body.prefix(8) + bytes("\r\n")
        input += bytes("8\r\n") + body.dropFirst(8).prefix(8) + bytes("\r\n0\r\n\r\n")
        input += bytes("POST /small HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789")
        for batches in [[], Array(repeating: 1, count: input.count), Array(repeating: 7, count: input.count)] {
            let outcome = runHTTP1(.request, input, batches: batches, limits: limits)
            XCTAssertNil(outcome.error)
            XCTAssertEqual(outcome.messages.map(\.target), ["/big", "/chunked", "/small"])
            XCTAssertEqual(outcome.messages.map(\.body), [Array(body.prefix(10)), Array(body.prefix(10)), bytes("0123456789")])
            XCTAssertEqual(outcome.messages.map(\.bodyLength), [100, 16, 10])
            XCTAssertEqual(outcome.messages.map(\.bodyTruncated), [true, true, false])
        }
    }

    func testFiftyMegabyteChunkedBodyStreamsInBoundedMemory() throws {
        let limits = HTTP1Limits(maxBodyBytes: 1 << 20)
        let chunkSize = 60_000
        let totalBody = 50 * 1_000_000
        var chunk = bytes(String(chunkSize, radix: 16) + "\r\n")
        chunk += [UInt8](repeating: UInt8(ascii: "x"), count: chunkSize) + bytes("\r\n")
        var input = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        input.reserveCapacity(totalBody + totalBody / 1000 + 200)
        var written = 0
        while written < totalBody {
            let size = min(chunkSize, totalBody - written)
            if size == chunkSize {
                input += chunk
            } else {
                input += bytes(String(size, radix: 16) + "\r\n") + [UInt8](repeating: UInt8(ascii: "x"), count: size) + bytes("\r\n")
            }
            written += size
        }
        let tail = bytes("HTTP/1.1 204 No Content\r\n\r\n")
        input += bytes("0\r\n\r\n") + tail

        var parser = HTTP1Parser(role: .response, limits: limits)
        parser.enqueueRequestMethod("GET")
        parser.enqueueRequestMethod("GET")
        var messages: [HTTP1Message] = []
        var position = 0
        var largestBuffer = 0
        while position < input.count {
            let end = min(position + 64 * 1024, input.count)
            parser.append(input[position..<end])
            position = end
            largestBuffer = max(largestBuffer, parser.buffer.count)
            while let event = try parser.next() {
                guard case .message(let m) = event else { return XCTFail("unexpected \(event)") }
                messages.append(m)
            }
        }
        XCTAssertEqual(messages.count, 2)
        let big = try XCTUnwrap(messages.first)
        XCTAssertEqual(big.bodyLength, totalBody)
        XCTAssertEqual(big.body.count, 1 << 20)
        XCTAssertTrue(big.bodyTruncated)
        XCTAssertEqual(big.endOffset, input.count - tail.count)
        XCTAssertEqual(messages.last?.status, 204)
        XCTAssertLessThanOrEqual(largestBuffer, 4 * 64 * 1024, "consumed bytes must be dropped from the buffer")
    }

    /// Bodies larger than the compaction threshold, heads split across
    /// appends: offsets and contents must survive the buffer being compacted.
    func testCompactionKeepsOffsetsAndContents() {
        var rng = SplitMix64(seed: 0xC0FF_EE00)
        var input: [UInt8] = []
        var expected: [(start: Int, bodyLength: Int)] = []
        for i in 0..<12 {
            let length = [0, 10, 70_000, 150_000][i % 4] + i
            expected.append((input.count, length))
            if i % 3 == 2 {
                input += bytes("POST /\(i) HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Pad: \(String(repeating: "p", count: i * 100))\r\n\r\n")
                var left = length
                while left > 0 {
                    let size = min(left, 1 + rng.next(upTo: 40_000))
                    let done = length - left
                    input += bytes(String(size, radix: 16) + "\r\n") + (done..<(done + size)).map { UInt8(truncatingIfNeeded: $0 &+ i) } + bytes("\r\n")
                    left -= size
                }
                input += bytes("0\r\n\r\n")
            } else {
                input += bytes("POST /\(i) HTTP/1.1\r\nContent-Length: \(length)\r\n\r\n") + (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            }
        }
        let whole = runHTTP1(.request, input)
        XCTAssertNil(whole.error)
        XCTAssertEqual(whole.messages.map(\.startOffset), expected.map(\.start))
        XCTAssertEqual(whole.messages.map(\.bodyLength), expected.map(\.bodyLength))
        for (i, message) in whole.messages.enumerated() {
            XCTAssertTrue(message.body == (0..<expected[i].bodyLength).map { UInt8(truncatingIfNeeded: $0 &+ i) }, "message \(i) body differs")
        }
        for _ in 0..<5 {
            var batches: [Int] = []
            var total = 0
            while total < input.count {
                let size = 1 + rng.next(upTo: [50, 5_000, 80_000, 250_000][rng.next(upTo: 4)])
                batches.append(size)
                total += size
            }
            XCTAssertTrue(runHTTP1(.request, input, batches: batches) == whole, "batches \(batches.prefix(20))… disagree with whole")
        }
    }

    func testCompactionWithAPartialHeadInTheBuffer() throws {
        let first = bytes("POST /big HTTP/1.1\r\nContent-Length: 100000\r\n\r\n") + [UInt8](repeating: 0x41, count: 100_000)
        var parser = HTTP1Parser(role: .request)
        parser.append(first + bytes("GET /next HT"))
        guard case .message(let big)? = try parser.next() else { return XCTFail("expected the POST") }
        XCTAssertEqual(big.bodyLength, 100_000)
        XCTAssertNil(try parser.next())
        parser.append(bytes("TP/1.1\r\nHost: h\r"))
        XCTAssertEqual(parser.baseOffset, first.count, "consumed bytes are dropped once past the threshold")
        XCTAssertEqual(parser.buffer, bytes("GET /next HTTP/1.1\r\nHost: h\r"))
        XCTAssertNil(try parser.next())
        parser.append(bytes("\n\r\n"))
        guard case .message(let next)? = try parser.next() else { return XCTFail("expected the GET") }
        XCTAssertEqual(next.target, "/next")
        XCTAssertEqual(next.headers, [HeaderField("Host", "h")])
        XCTAssertEqual(next.startOffset, first.count)
        XCTAssertEqual(next.endOffset, first.count + 31)
    }

    func testHeadSearchDoesNotRescan() {
        // A head arriving in many small pieces: the search resumes where it
        // stopped. Checked through the state: it never points before the
        // bytes already searched.
        let head = bytes("GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 100) + "\r\n")
        var parser = HTTP1Parser(role: .request)
        var lastScan = 0
        for (i, byte) in head.enumerated() {
            parser.append([byte])
            let event = try? parser.next()
            if i < head.count - 1 {
                XCTAssertNil(event)
                guard case .head(let scanFrom) = parser.state else { return XCTFail("not in head state") }
                XCTAssertGreaterThanOrEqual(scanFrom, lastScan)
                XCTAssertGreaterThanOrEqual(scanFrom, i - 2)
                lastScan = scanFrom
            } else {
                XCTAssertNotNil(event)
            }
        }
    }
}
