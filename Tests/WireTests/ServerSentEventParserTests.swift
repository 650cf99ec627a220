import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// The WHATWG HTML event-stream rules (§9.2.6), fed whole, byte by byte,
/// in random batches and as every prefix.
final class ServerSentEventParserTests: XCTestCase {
    /// Every rule in one stream: BOM, CRLF / LF / lone CR line breaks, a
    /// comment, multi-line data, a value's one leading space, an id with
    /// NUL (ignored), bad and good retry, an unknown field, a block with no
    /// data, blank lines between blocks, a cut block at the end.
    static let stream = bytes(
        "\u{FEFF}: hello\r\n\r\n"
            + "id: 1\r\nevent: agent_started\r\ndata: {\"a\":1}\r\n\r\n"
            + "data:first\ndata:  second\ndata\n\n"
            + "id: bad\u{0}id\rretry: 12x\rretry: 3000\rfoo: bar\r\r"
            + "\n\n\n"
            + "event: agent_completed\ndata: done\nid\n\n"
            + "data: cut")

    static let expected: [ServerSentEventParser.Parsed] = {
        let text = String(decoding: stream, as: UTF8.self)
        func end(after marker: String) -> Int {
            Array(text.utf8).count - Array(text[text.range(of: marker)!.upperBound...].utf8).count
        }
        return [
            .init(event: ServerSentEvent(at: 0, comments: ["hello"]), endOffset: end(after: ": hello\r\n\r")),
            .init(event: ServerSentEvent(at: 0, id: "1", event: "agent_started", data: "{\"a\":1}"), endOffset: end(after: "{\"a\":1}\r\n\r")),
            .init(event: ServerSentEvent(at: 0, data: "first\n second\n"), endOffset: end(after: "data\n\n")),
            .init(event: ServerSentEvent(at: 0, retry: 3000), endOffset: end(after: "bar\r\r")),
            .init(event: ServerSentEvent(at: 0, id: "", event: "agent_completed", data: "done"), endOffset: end(after: "id\n\n")),
        ]
    }()

    func testTheStandardsRules() throws {
        let (events, incomplete) = try ServerSentEventParser.events(in: Self.stream)
        XCTAssertEqual(events, Self.expected)
        XCTAssertEqual(incomplete, "data: cut".utf8.count)
        XCTAssertEqual(events.map(\.event.type), ["message", "agent_started", "message", "message", "agent_completed"])
    }

    func testWholeByteByByteAndBatchedAgree() throws {
        XCTAssertEqual(try Self.run(Self.stream, batches: Array(repeating: 1, count: Self.stream.count)), Self.expected)
        var rng = SplitMix64(seed: 0x5345_5345)
        for _ in 0..<300 {
            var batches: [Int] = []
            var total = 0
            while total < Self.stream.count {
                let size = 1 + rng.next(upTo: 12)
                batches.append(size)
                total += size
            }
            XCTAssertEqual(try Self.run(Self.stream, batches: batches), Self.expected, "batches \(batches)")
        }
    }

    /// A proper prefix yields a prefix of the events, each ending inside it.
    func testEveryProperPrefixYieldsAPrefixOfTheEvents() throws {
        for length in 0..<Self.stream.count {
            let (events, _) = try ServerSentEventParser.events(in: Self.stream[..<length])
            XCTAssertEqual(events, Array(Self.expected.prefix(events.count)), "prefix \(length)")
            for event in events { XCTAssertLessThanOrEqual(event.endOffset, length) }
            XCTAssertEqual(events.count, Self.expected.filter { $0.endOffset <= length }.count, "prefix \(length)")
        }
    }

    func testWriterRoundTrips() throws {
        let events = [
            ServerSentEvent(at: 0, id: "7", event: "agent_thinking", data: "{\"step\":1}\n{\"step\":2}", retry: 1500, comments: ["keep", ""]),
            ServerSentEvent(at: 0, data: ""),
            ServerSentEvent(at: 0, data: " leading space"),
            ServerSentEvent(at: 0, id: ""),
        ]
        let written = events.flatMap(ServerSentEventWriter.bytes)
        let (parsed, incomplete) = try ServerSentEventParser.events(in: written)
        XCTAssertEqual(parsed.map(\.event), events)
        XCTAssertEqual(incomplete, 0)
    }

    func testAnEventOverTheLimitIsAnError() {
        let long = bytes("data: " + String(repeating: "x", count: 100) + "\n\n")
        XCTAssertThrowsError(try ServerSentEventParser.events(in: long, maxEventBytes: 50)) { error in
            XCTAssertEqual((error as? WireError)?.code, .eventOverLimit)
        }
        // Without its blank line yet, too.
        XCTAssertThrowsError(try ServerSentEventParser.events(in: long.prefix(80), maxEventBytes: 50))
        XCTAssertNoThrow(try ServerSentEventParser.events(in: long, maxEventBytes: 200))
    }

    /// Chunk ends let a chunked body's bytes be placed in the stream, to time each event.
    func testChunkEndsMapBodyOffsetsToTheStream() throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        let input = bytes(head + "5\r\ndata:\r\n3\r\n 1\n\r\n1\r\n\n\r\n0\r\n\r\n")
        var parser = HTTP1Parser(role: .response)
        parser.enqueueRequestMethod("GET")
        parser.append(input)
        guard case .message(let message)? = try parser.next() else { return XCTFail("no message") }
        XCTAssertEqual(message.body, bytes("data: 1\n\n"))
        XCTAssertEqual(message.bodyOffset, head.utf8.count)
        XCTAssertEqual(message.chunks.map(\.bodyEnd), [5, 8, 9])
        // The blank line's LF is body byte 8, in the third chunk's data.
        let lf = message.streamOffset(ofBodyEnd: 9) - 1
        XCTAssertEqual(input[lf], 0x0A)
        XCTAssertEqual(lf, head.utf8.count + "5\r\ndata:\r\n3\r\n 1\n\r\n1\r\n".utf8.count)
    }

    /// The fuzz target's properties (Fuzz/Sources/fuzz-sse) on random streams
    /// of the format's own pieces: events do not depend on the cut, and each
    /// one written back parses to itself.
    func testRandomStreamsAreCutIndependentAndRoundTrip() throws {
        let pieces: [[UInt8]] = [
            bytes("data"), bytes("id"), bytes("event"), bytes("retry"), bytes(":"), bytes(" "), bytes("\r"), bytes("\n"),
            bytes("\r\n"), bytes("x"), bytes("12"), [0], [0xEF, 0xBB, 0xBF], [0xFF], bytes("é"),
        ]
        var rng = SplitMix64(seed: 0x4655_5A5A)
        for round in 0..<400 {
            let input = (0..<rng.int(0...60)).flatMap { _ in pieces[rng.next(upTo: pieces.count)] }
            let (whole, _) = try ServerSentEventParser.events(in: input)
            let cut = try Self.run(input, batches: (0..<input.count).map { _ in 1 + rng.next(upTo: 5) })
            XCTAssertEqual(cut, whole, "round \(round): \(input)")
            for parsed in whole {
                let again = try ServerSentEventParser.events(in: ServerSentEventWriter.bytes(parsed.event))
                XCTAssertEqual(again.events.map(\.event), [parsed.event], "round \(round)")
            }
        }
    }

    static func run(_ input: [UInt8], batches: [Int]) throws -> [ServerSentEventParser.Parsed] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEventParser.Parsed] = []
        var start = 0
        for size in batches where start < input.count {
            let end = min(start + size, input.count)
            parser.append(input[start..<end])
            start = end
            while let event = try parser.next() { events.append(event) }
        }
        return events
    }
}
