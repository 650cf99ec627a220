import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// Streamed responses from public captures (issue 15): susam's SSE clock app
/// (one `text/event-stream` response, chunked, cut by the capture after three
/// events ten seconds apart) and mitmproxy's event-stream HAR export.
final class EventStreamCaptureTests: XCTestCase {
    func testSusamSSEAppBecomesTimedEventsCutAtTheLastCompleteOne() throws {
        let path = try Corpus.requireCapture("susam_sseapp.pcap")
        var source = try PcapFileSource(path: path)
        var processor = CaptureProcessor(linkType: source.linkType)
        var sessions: [Session] = []
        while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        let session = try XCTUnwrap(sessions.first)
        XCTAssertEqual(session.exchanges.map(\.request.target), ["/", "/time"])
        let response = try XCTUnwrap(session.exchanges[1].response)
        XCTAssertNil(response.body, "the events are the body")
        let stream = try XCTUnwrap(response.stream)
        XCTAssertTrue(stream.truncated)
        XCTAssertEqual(stream.events.map(\.data), [#"{"time": "11:42:14"}"#, #"{"time": "11:42:24"}"#, #"{"time": "11:42:34"}"#])
        XCTAssertEqual(stream.events.map(\.type), ["message", "message", "message"])
        // tshark: head at 10.175257 s, then a chunk at 10.202060, 20.185640 and 30.195991.
        XCTAssertEqual(stream.headAt, 10.175257, accuracy: 1e-6)
        XCTAssertEqual(stream.events.map(\.at), [10.20206, 20.18564, 30.195991])
        let cut = session.anomalies.filter { $0.kind == .truncated }
        XCTAssertEqual(cut.map(\.detail), ["the event stream of response 1 was cut after 3 complete events (84 bytes seen); it is kept up to the last one"])
        // The first response (text/html, Content-Length) is not a stream.
        XCTAssertNil(session.exchanges[0].response?.stream)

        let recording = Recording(source: Source(kind: .pcapFile, name: "susam_sseapp.pcap", tool: "test"), capturedAt: processor.capturedAt!, sessions: sessions)
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(recording)), recording)
        let lines = Timeline.render(recording).map(\.text)
        XCTAssertTrue(lines.contains("   +20.186s  ← event message  {\"time\": \"11:42:24\"}"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("           stream from +10.175s, 3 events, cut by the capture"), lines.joined(separator: "\n"))
    }

    func testMitmproxyEventStreamHARIsAStreamWithoutEvents() throws {
        let path = try Corpus.requireCapture("mitmproxy_event_stream.har")
        let result = try HARImporter().importHAR(Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: "mitmproxy_event_stream.har")
        let responses = result.recording.sessions.flatMap(\.exchanges).compactMap(\.response)
        XCTAssertEqual(responses.count, 2)
        for response in responses {
            XCTAssertTrue(response.isEventStream)
            // mitmproxy exported the streams without their content.
            XCTAssertEqual(response.stream?.events, [])
            XCTAssertEqual(response.stream?.headAt, response.at)
        }
    }

    func testHAREventStreamBodyBecomesEvents() throws {
        let har = #"""
        {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [{
          "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 5,
          "request": {"method": "GET", "url": "http://h/events", "httpVersion": "HTTP/1.1", "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
          "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
            "cookies": [], "content": {"size": 40, "mimeType": "text/event-stream", "text": "id: 1\nevent: a\ndata: x\n\n: ping\n\ndata: cut"},
            "redirectURL": "", "headersSize": -1, "bodySize": 40},
          "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}]}}
        """#
        let result = try HARImporter().importHAR(Array(har.utf8), name: "inline.har")
        let response = try XCTUnwrap(result.recording.sessions.first?.exchanges.first?.response)
        XCTAssertNil(response.body)
        XCTAssertEqual(response.stream?.events.map(\.id), ["1", nil])
        XCTAssertEqual(response.stream?.events.map(\.comments), [[], ["ping"]])
        XCTAssertEqual(response.stream?.truncated, true)
    }
}
