import TrafficModel
import Wire
import XCTest
@testable import MockStaging

/// How a recorded stream is cut into parts for the mock (pure; the differential
/// test serves one to a real SSE client).
final class StreamedResponseTests: XCTestCase {
    static let stream = ResponseStream(headAt: 1.0, events: [
        ServerSentEvent(at: 1.0, retry: 2000, comments: ["connected"]),
        ServerSentEvent(at: 1.5, id: "1", event: "agent_started", data: "{}"),
        ServerSentEvent(at: 2.0, id: "2", data: "a\nb"),
        ServerSentEvent(at: 2.25, id: "3", event: "agent_completed", data: "done"),
    ])
    static let response = HTTPResponse(
        at: 2.5, status: 200, reason: "OK",
        headers: [HeaderField("Content-Type", "text/event-stream"), HeaderField("Transfer-Encoding", "chunked"), HeaderField("X-After", "1")],
        framing: .chunked, stream: stream
    )

    func testEachEventIsAPartAtItsRecordedOffsetFromTheHead() throws {
        let (replayed, headDelay) = ReplayedResponse.streaming(Self.response, stream: Self.stream, requestAt: 0.5, method: "GET", lastEventID: nil, pacing: .recorded)
        XCTAssertEqual(headDelay, 0.5)
        let parts = try XCTUnwrap(replayed.parts)
        XCTAssertEqual(parts.map(\.delay), [0, 0.5, 1.0, 1.25])
        XCTAssertEqual(parts.map { String(decoding: $0.bytes, as: UTF8.self) }, [
            ": connected\nretry: 2000\n\n", "id: 1\nevent: agent_started\ndata: {}\n\n", "id: 2\ndata: a\ndata: b\n\n", "id: 3\nevent: agent_completed\ndata: done\n\n",
        ])
        XCTAssertEqual(replayed.headers.map(\.name), ["Content-Type", "Transfer-Encoding", "X-After"])
        XCTAssertEqual(replayed.body, [])

        let fast = ReplayedResponse.streaming(Self.response, stream: Self.stream, requestAt: 0.5, method: "GET", lastEventID: nil, pacing: .fast)
        XCTAssertEqual(fast.response.parts?.map(\.delay), [0, 0, 0, 0])
        XCTAssertEqual(fast.headDelay, 0)
        let half = ReplayedResponse.streaming(Self.response, stream: Self.stream, requestAt: 0.5, method: "GET", lastEventID: nil, pacing: .scaled(0.5))
        XCTAssertEqual(half.response.parts?.map(\.delay), [0, 0.25, 0.5, 0.625])
    }

    func testLastEventIDResumesAfterThatEventWithThePreamble() throws {
        let (replayed, _) = ReplayedResponse.streaming(Self.response, stream: Self.stream, requestAt: 0.5, method: "GET", lastEventID: "2", pacing: .recorded)
        let parts = try XCTUnwrap(replayed.parts)
        XCTAssertEqual(parts.map { String(decoding: $0.bytes, as: UTF8.self) }, [": connected\nretry: 2000\n\n", "id: 3\nevent: agent_completed\ndata: done\n\n"])
        // The resumed event keeps its gap from its recorded predecessor.
        XCTAssertEqual(parts.map(\.delay), [0, 0.25])
        // An id the recording does not have: the whole stream.
        XCTAssertEqual(Self.stream.resumedIndices(afterLastEventID: "9"), [0, 1, 2, 3])
        XCTAssertEqual(Self.stream.resumedIndices(afterLastEventID: "3"), [0])
    }

    func testChunksOfAnotherBodyKeepTheirSizesUnlessRedactionChangedIt() throws {
        let stream = ResponseStream(headAt: 0, chunks: [TimedChunk(at: 0.1, bytes: 3), TimedChunk(at: 0.4, bytes: 2)])
        var response = HTTPResponse(at: 0.4, status: 200, reason: "OK", headers: [HeaderField("Content-Length", "5")], body: .text("abcde"), framing: .chunked, stream: stream)
        let parts = try XCTUnwrap(ReplayedResponse.streaming(response, stream: stream, requestAt: 0, method: "GET", lastEventID: nil, pacing: .recorded).response.parts)
        XCTAssertEqual(parts, [StreamedPart(delay: 0.1, bytes: Array("abc".utf8)), StreamedPart(delay: 0.4, bytes: Array("de".utf8))])
        response.body = .text("abcdefg")
        let whole = try XCTUnwrap(ReplayedResponse.streaming(response, stream: stream, requestAt: 0, method: "GET", lastEventID: nil, pacing: .recorded).response.parts)
        XCTAssertEqual(whole, [StreamedPart(delay: 0.4, bytes: Array("abcdefg".utf8))])
    }

    func testAHEADAnswerHasNoParts() {
        let (replayed, _) = ReplayedResponse.streaming(Self.response, stream: Self.stream, requestAt: 0, method: "HEAD", lastEventID: nil, pacing: .fast)
        XCTAssertNil(replayed.parts)
        XCTAssertEqual(replayed.body, [])
    }
}
