import Capture
import TrafficModel
import XCTest

/// The proxy's pure parts: upstream parsing, the forwarded fields, and the
/// session recorder fed by hand.
final class RecordingProxyRecorderTests: XCTestCase {
    func testUpstreamTargetsParseWithDefaultPortsAndRefusePaths() throws {
        XCTAssertEqual(try UpstreamTarget.parse("https://staging.example.com").get(), UpstreamTarget(scheme: .https, host: "staging.example.com", port: 443))
        XCTAssertEqual(try UpstreamTarget.parse("http://127.0.0.1:8000/").get(), UpstreamTarget(scheme: .http, host: "127.0.0.1", port: 8000))
        XCTAssertEqual(try UpstreamTarget.parse("https://[::1]:8443").get(), UpstreamTarget(scheme: .https, host: "::1", port: 8443))
        XCTAssertEqual(try UpstreamTarget.parse("https://[::1]:8443").get().authority, "[::1]:8443")
        XCTAssertEqual(try UpstreamTarget.parse("https://staging.example.com:443").get().authority, "staging.example.com")
        for bad in ["staging.example.com", "ftp://x", "https://x/api", "https://x:0", "https://x:99999", "https://:80", "https://u@x"] {
            guard case .failure(let error) = UpstreamTarget.parse(bad) else { return XCTFail("\(bad) parsed") }
            XCTAssertTrue(error.description.contains(bad), error.description)
        }
    }

    func testForwardedFieldsKeepOrderAndCaseRewriteHostAndDropTheDeflateOffer() {
        let upstream = UpstreamTarget(scheme: .https, host: "staging.example.com")
        let fields = [
            HeaderField("x-first", "1"), HeaderField("HOST", "127.0.0.1:9000"), HeaderField("Sec-WebSocket-Extensions", "permessage-deflate"),
            HeaderField("authorization", "Bearer t"),
        ]
        XCTAssertEqual(upstream.forwardedFields(fields, isUpgrade: true), [
            HeaderField("x-first", "1"), HeaderField("HOST", "staging.example.com"), HeaderField("authorization", "Bearer t"),
        ])
        XCTAssertEqual(upstream.forwardedFields(fields, isUpgrade: false).count, 4)
        XCTAssertEqual(upstream.forwardedFields([HeaderField("A", "b")], isUpgrade: false), [HeaderField("Host", "staging.example.com"), HeaderField("A", "b")])
    }

    private func recorder() -> ProxySessionRecorder {
        ProxySessionRecorder(id: "s1", client: Endpoint(host: "127.0.0.1", port: 50000), server: Endpoint(host: "staging", port: 443), start: 1)
    }

    func testExchangesAreAnsweredInOrderWithBodiesAndFraming() {
        var r = recorder()
        r.beginRequest(method: "POST", target: "/login", version: "HTTP/1.1", headers: [HeaderField("Content-Length", "4")], at: 1.5)
        r.appendRequestBody(Array("ab".utf8))
        r.appendRequestBody(Array("cd".utf8))
        r.endRequest(trailers: [], at: 1.6)
        r.beginRequest(method: "HEAD", target: "/", version: "HTTP/1.1", headers: [], at: 1.7)
        r.endRequest(trailers: [], at: 1.7)
        XCTAssertTrue(r.hasOutstandingExchange)
        XCTAssertEqual(r.beginResponse(status: 200, reason: "OK", version: "HTTP/1.1", headers: [], at: 2), 0)
        r.appendResponseBody(Array("{}".utf8))
        let first = r.endResponse(trailers: [], at: 2.1)
        XCTAssertEqual(first?.request.body, .text("abcd"))
        XCTAssertEqual(first?.request.framing, .contentLength)
        XCTAssertEqual(first?.response?.body, .text("{}"))
        XCTAssertEqual(first?.response?.framing, .close, "no length, no chunking: delimited by the close")
        XCTAssertEqual(r.beginResponse(status: 200, reason: "OK", version: "HTTP/1.1", headers: [], at: 3), 1)
        XCTAssertEqual(r.endResponse(trailers: [], at: 3)?.response?.framing, BodyFraming.none)
        XCTAssertFalse(r.hasOutstandingExchange)
        let session = r.finish(kind: .closed, by: .client, at: 4)
        XCTAssertEqual(session.anomalies, [])
        XCTAssertEqual(session.end, SessionEnd(kind: .closed, at: 4, by: .client))
    }

    func testAnUpstreamFailureAnswersTheWaitingRequestWithAnAnomaly() {
        var r = recorder()
        r.beginRequest(method: "GET", target: "/api/me", version: "HTTP/1.1", headers: [], at: 1)
        let response = HTTPResponse(at: 1.2, status: 502, reason: "Bad Gateway", headers: [], body: .text("{}"), framing: .contentLength)
        XCTAssertEqual(r.answerUpstreamFailure(response, detail: "refused")?.response, response)
        XCTAssertEqual(r.session.anomalies.map(\.kind), [.upstreamError])
        XCTAssertNil(r.answerUpstreamFailure(response, detail: "again"), "nothing else waits")
    }

    func testWebSocketBytesSplitAnywhereGiveTheSameMessages() {
        // A masked client text "hi", a server text "hello", a server close 1008.
        let client: [UInt8] = [0x81, 0x82, 1, 2, 3, 4, UInt8(ascii: "h") ^ 1, UInt8(ascii: "i") ^ 2]
        let server: [UInt8] = [0x81, 0x05] + Array("hello".utf8) + [0x88, 0x04, 0x03, 0xF0] + Array("no".utf8)
        func record(splitAt cut: Int) -> Session {
            var r = recorder()
            r.beginRequest(method: "GET", target: "/ws", version: "HTTP/1.1", headers: [], at: 1)
            r.endRequest(trailers: [], at: 1)
            r.beginResponse(status: 101, reason: "Switching Protocols", version: "HTTP/1.1", headers: [HeaderField("Sec-WebSocket-Protocol", "chat")], at: 2)
            r.endResponse(trailers: [], at: 2)
            r.startWebSocket(responseHeaders: [HeaderField("Sec-WebSocket-Protocol", "chat")], at: 2)
            r.webSocketBytes(client, from: .client, at: 3)
            r.webSocketBytes(server.prefix(cut), from: .server, at: 4)
            r.webSocketBytes(server.dropFirst(cut), from: .server, at: 5)
            return r.finish(kind: .closed, by: .server, at: 6)
        }
        let whole = record(splitAt: server.count)
        XCTAssertEqual(whole.websocket?.subprotocol, "chat")
        XCTAssertEqual(whole.websocket?.messages.map(\.payload), [.text("hi"), .text("hello"), .text("no")])
        XCTAssertEqual(whole.websocket?.close?.code, 1008)
        XCTAssertEqual(whole.websocket?.close?.frame.direction, .server)
        for cut in 0...server.count {
            XCTAssertEqual(record(splitAt: cut).websocket?.messages.map(\.payload), whole.websocket?.messages.map(\.payload), "split at \(cut)")
        }
    }

    func testACutSessionKeepsThePartialFrameAndSaysSo() {
        var r = recorder()
        r.startWebSocket(responseHeaders: [], at: 1)
        r.webSocketBytes([0x81, 0x05, 0x68], from: .server, at: 2)
        let session = r.finish(kind: .cut, by: nil, at: 3)
        XCTAssertEqual(session.end?.kind, .cut)
        XCTAssertEqual(session.anomalies.map(\.kind), [.truncated, .truncated])
        XCTAssertEqual(session.anomalies.first?.bytes, 3)
        XCTAssertEqual(r.finish(kind: .closed, by: .client, at: 9).end?.kind, .cut, "finishing twice changes nothing")
    }
}
