import XCTest
import TrafficModel
@testable import Wire

/// Helpers shared by the HTTP1*Tests files.

/// Everything a run of the parser produced, comparable across feedings.
struct HTTP1Outcome: Equatable {
    var events: [HTTP1Event] = []
    var error: WireError?
    var status: HTTP1Parser.Status = .parsing
    var remaining: [UInt8] = []

    var messages: [HTTP1Message] {
        events.map {
            switch $0 {
            case .message(let m), .incompleteMessage(let m): return m
            }
        }
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `input` cut at `cuts` (sizes of successive batches; the rest in one
/// piece), draining `next()` after each batch, then `finish()` if asked.
func runHTTP1(
    _ role: HTTP1Parser.Role, _ input: [UInt8], batches: [Int] = [], methods: [String] = [],
    limits: HTTP1Limits = .default, finish: Bool = true
) -> HTTP1Outcome {
    var parser = HTTP1Parser(role: role, limits: limits)
    for method in methods { parser.enqueueRequestMethod(method) }
    var outcome = HTTP1Outcome()
    var position = 0
    var sizes = batches[...]
    do {
        while position < input.count {
            let size = min(sizes.popFirst() ?? input.count, input.count - position)
            parser.append(input[position..<(position + size)])
            position += size
            while let event = try parser.next() { outcome.events.append(event) }
        }
        if finish {
            while let event = try parser.finish() { outcome.events.append(event) }
        }
    } catch {
        outcome.error = error
    }
    outcome.status = parser.status
    outcome.remaining = parser.takeRemainingBytes()
    return outcome
}

final class HTTP1ParserTests: XCTestCase {
    func testGetWithoutBody() throws {
        let input = bytes("GET /login?next=%2F HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        let outcome = runHTTP1(.request, input)
        XCTAssertNil(outcome.error)
        guard outcome.messages.count == 1 else { return XCTFail("expected 1 messages, got \(outcome.events)") }
        let m = try XCTUnwrap(outcome.messages.first)
        XCTAssertEqual(m.startLine, .request(method: "GET", target: "/login?next=%2F", version: "HTTP/1.1"))
        XCTAssertEqual(m.method, "GET")
        XCTAssertEqual(m.target, "/login?next=%2F")
        XCTAssertNil(m.status)
        XCTAssertEqual(m.headers, [HeaderField("Host", "example.com"), HeaderField("Accept", "*/*")])
        XCTAssertEqual(m.framing, .none)
        XCTAssertEqual(m.body, [])
        XCTAssertEqual(m.startOffset, 0)
        XCTAssertEqual(m.endOffset, input.count)
        XCTAssertEqual(outcome.status, .finished)
    }

    func testPostWithContentLength() throws {
        let input = bytes("POST /token HTTP/1.1\r\nContent-Length: 13\r\n\r\ngrant=refresh")
        let outcome = runHTTP1(.request, input + bytes("GET / HTTP/1.1\r\n\r\n"))
        XCTAssertNil(outcome.error)
        guard outcome.messages.count == 2 else { return XCTFail("expected 2 messages, got \(outcome.events)") }
        let post = outcome.messages[0]
        XCTAssertEqual(post.body, bytes("grant=refresh"))
        XCTAssertEqual(post.bodyLength, 13)
        XCTAssertFalse(post.bodyTruncated)
        XCTAssertEqual(post.framing, .contentLength)
        XCTAssertEqual(post.endOffset, input.count)
        XCTAssertEqual(outcome.messages[1].startOffset, input.count)
        XCTAssertEqual(outcome.messages[1].method, "GET")
    }

    func testChunkedWithExtensionsAndTrailers() throws {
        let input = bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nTrailer: Server-Timing\r\n\r\n"
                + "5;name=value;other\r\nhello\r\n"
                + "6 ; x=\"y\"\r\n world\r\n"
                + "A\r\n0123456789\r\n"
                + "0;last\r\nServer-Timing: total;dur=12\r\nX-Checksum:  abc \r\n\r\n")
        let outcome = runHTTP1(.response, input, methods: ["GET"])
        XCTAssertNil(outcome.error)
        let m = try XCTUnwrap(outcome.messages.first)
        XCTAssertEqual(outcome.events, [.message(m)])
        XCTAssertEqual(m.framing, .chunked)
        XCTAssertEqual(m.body, bytes("hello world0123456789"))
        XCTAssertEqual(m.trailers, [HeaderField("Server-Timing", "total;dur=12"), HeaderField("X-Checksum", "abc")])
        XCTAssertEqual(m.endOffset, input.count)
    }

    func testChunkedWithoutTrailersAndBareLF() throws {
        let input = bytes("POST /a HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\nGET /b HTTP/1.1\n\n")
        let outcome = runHTTP1(.request, input)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages.map(\.target), ["/a", "/b"])
        guard outcome.messages.count == 2 else { return }
        XCTAssertEqual(outcome.messages[0].body, bytes("abc"))
        XCTAssertEqual(outcome.messages[0].trailers, [])
        XCTAssertEqual(outcome.messages[0].endOffset, outcome.messages[1].startOffset)
    }

    func testHeadResponseWithContentLengthHasNoBody() throws {
        let first = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nTransfer-Encoding: chunked\r\n\r\n")
        let second = bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        let outcome = runHTTP1(.response, first + second, methods: ["HEAD", "GET"])
        XCTAssertNil(outcome.error)
        guard outcome.messages.count == 2 else { return XCTFail("expected 2 messages, got \(outcome.events)") }
        XCTAssertEqual(outcome.messages[0].framing, .none)
        XCTAssertEqual(outcome.messages[0].body, [])
        XCTAssertEqual(outcome.messages[0].endOffset, first.count)
        XCTAssertEqual(outcome.messages[1].body, bytes("hi"))
    }

    func testNoContentAndNotModifiedHaveNoBody() throws {
        let input = bytes(
            "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
                + "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: \"x\"\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")
        let outcome = runHTTP1(.response, input, methods: ["DELETE", "GET", "GET"])
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages.map(\.status), [204, 304, 200])
        XCTAssertEqual(outcome.messages.map(\.framing), [.none, .none, .contentLength])
        guard outcome.messages.count == 3 else { return }
        XCTAssertEqual(outcome.messages[2].body, bytes("z"))
    }

    func testContinueThenFinalResponseAnswerTheSameRequest() throws {
        // 100 and 103 do not consume the POST; the 200 does; then HEAD's response.
        let input = bytes(
            "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                + "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        let outcome = runHTTP1(.response, input, methods: ["POST", "HEAD"])
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages.map(\.status), [100, 103, 200, 200])
        guard outcome.messages.count == 4 else { return }
        XCTAssertEqual(outcome.messages[1].headers, [HeaderField("Link", "</app.css>; rel=preload")])
        XCTAssertEqual(outcome.messages[2].body, bytes("abc"))
        XCTAssertEqual(outcome.messages[3].body, [])
        XCTAssertEqual(outcome.messages[3].endOffset, input.count)
    }

    func testSwitchingProtocolsReturnsFollowingBytes() throws {
        let head = bytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        let frames: [UInt8] = [0x81, 0x02, 0x68, 0x69, 0x88, 0x00]
        var parser = HTTP1Parser(role: .response)
        parser.enqueueRequestMethod("GET")
        parser.append(head + frames)
        let event = try parser.next()
        guard case .message(let m)? = event else { return XCTFail("expected the 101, got \(String(describing: event))") }
        XCTAssertEqual(m.status, 101)
        XCTAssertEqual(m.reason, "Switching Protocols")
        XCTAssertEqual(m.endOffset, head.count)
        XCTAssertEqual(parser.status, .switchedProtocols)
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.offset, head.count)
        XCTAssertEqual(parser.takeRemainingBytes(), frames)
        parser.append([0x89, 0x00])
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.takeRemainingBytes(), [0x89, 0x00])
        XCTAssertNil(try parser.finish())
    }

    func testUpgradeRequestPausesThenResumes() throws {
        let upgrade = bytes("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        let after = bytes("GET /next HTTP/1.1\r\n\r\n")
        var parser = HTTP1Parser(role: .request)
        parser.append(upgrade + after)
        guard case .message(let m)? = try parser.next() else { return XCTFail("expected the upgrade request") }
        XCTAssertEqual(m.target, "/chat")
        XCTAssertEqual(parser.status, .awaitingUpgradeDecision)
        XCTAssertNil(try parser.next())
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.bufferedByteCount, after.count)
        parser.resumeAfterRefusedUpgrade()
        XCTAssertEqual(parser.status, .parsing)
        guard case .message(let next)? = try parser.next() else { return XCTFail("expected the next request") }
        XCTAssertEqual(next.target, "/next")
        XCTAssertEqual(next.startOffset, upgrade.count)
        XCTAssertNil(try parser.next())
    }

    func testUpgradeRequestThenServerSwitches() throws {
        let upgrade = bytes("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")
        let frame: [UInt8] = [0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6B]
        var parser = HTTP1Parser(role: .request)
        parser.append(upgrade + frame.prefix(3))
        XCTAssertNotNil(try parser.next())
        XCTAssertNil(try parser.next())
        parser.append(frame.dropFirst(3))
        XCTAssertEqual(parser.offset, upgrade.count)
        XCTAssertEqual(parser.takeRemainingBytes(), frame)
        XCTAssertEqual(parser.status, .switchedProtocols)
        XCTAssertNil(try parser.finish())
    }

    func testConnectPausesRequestsAndSwitchesResponses() throws {
        var requests = HTTP1Parser(role: .request)
        requests.append(bytes("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\nContent-Length: 3\r\n\r\n\u{16}\u{03}\u{01}"))
        guard case .message(let connect)? = try requests.next() else { return XCTFail("expected CONNECT") }
        XCTAssertEqual(connect.target, "api.example.com:443")
        XCTAssertEqual(connect.body, [], "a CONNECT request has no content")
        XCTAssertEqual(requests.status, .awaitingUpgradeDecision)
        XCTAssertEqual(requests.takeRemainingBytes(), [0x16, 0x03, 0x01])

        let responseHead = bytes("HTTP/1.1 200 Connection Established\r\nContent-Length: 99\r\n\r\n")
        var responses = HTTP1Parser(role: .response)
        responses.enqueueRequestMethod("CONNECT")
        responses.append(responseHead + [0x16, 0x03, 0x03])
        guard case .message(let established)? = try responses.next() else { return XCTFail("expected 200") }
        XCTAssertEqual(established.body, [])
        XCTAssertEqual(established.endOffset, responseHead.count)
        XCTAssertEqual(responses.status, .switchedProtocols)
        XCTAssertEqual(responses.takeRemainingBytes(), [0x16, 0x03, 0x03])

        // A refused CONNECT keeps HTTP going.
        var refused = HTTP1Parser(role: .response)
        refused.enqueueRequestMethod("CONNECT")
        refused.append(bytes("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        XCTAssertEqual(try refused.next().map { if case .message(let m) = $0 { m.body } else { [] } }, bytes("no"))
        XCTAssertEqual(refused.status, .parsing)
        XCTAssertNotNil(try refused.next())
    }

    func testCloseDelimitedResponseCompletedByFinish() throws {
        let input = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nuntil the end")
        var parser = HTTP1Parser(role: .response)
        parser.enqueueRequestMethod("GET")
        parser.append(input)
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.bufferedByteCount, 0, "the body is consumed as it arrives")
        guard case .message(let m)? = try parser.finish() else { return XCTFail("finish() should complete the body") }
        XCTAssertEqual(m.framing, .close)
        XCTAssertEqual(m.version, "HTTP/1.0")
        XCTAssertEqual(m.body, bytes("all of this\r\nuntil the end"))
        XCTAssertEqual(m.endOffset, input.count)
        XCTAssertNil(try parser.finish())
        XCTAssertEqual(parser.status, .finished)

        // Transfer-Encoding without chunked last in a response is close-delimited too.
        let gzip = runHTTP1(.response, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"), methods: ["GET"])
        XCTAssertEqual(gzip.messages.map(\.framing), [.close])
        XCTAssertEqual(gzip.messages.first?.body, bytes("xyz"))
    }

    func testFinishInsideABodyYieldsIncompleteMessage() throws {
        let input = bytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        let outcome = runHTTP1(.request, input)
        XCTAssertNil(outcome.error)
        guard case .incompleteMessage(let m)? = outcome.events.first else { return XCTFail("expected incomplete message") }
        XCTAssertEqual(m.body, bytes("abc"))
        XCTAssertEqual(m.endOffset, input.count)
        XCTAssertEqual(outcome.status, .finished)

        let chunked = runHTTP1(.request, bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab"))
        guard case .incompleteMessage(let c)? = chunked.events.first else { return XCTFail("expected incomplete chunked message") }
        XCTAssertEqual(c.body, bytes("ab"))
    }

    func testPipelinedRequestsAndResponses() throws {
        let requests = [
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
            "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n",
            "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody",
        ].map(bytes)
        let requestOutcome = runHTTP1(.request, requests.flatMap { $0 })
        XCTAssertNil(requestOutcome.error)
        XCTAssertEqual(requestOutcome.messages.map(\.method), ["GET", "HEAD", "POST"])
        var offset = 0
        for (message, raw) in zip(requestOutcome.messages, requests) {
            XCTAssertEqual(message.startOffset, offset)
            offset += raw.count
            XCTAssertEqual(message.endOffset, offset)
        }

        let responses = bytes(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                + "HTTP/1.1 200 OK\r\nContent-Length: 123\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nCC\r\n0\r\n\r\n")
        let responseOutcome = runHTTP1(.response, responses, methods: requestOutcome.messages.compactMap(\.method))
        XCTAssertNil(responseOutcome.error)
        XCTAssertEqual(responseOutcome.messages.map(\.status), [200, 200, 201])
        XCTAssertEqual(responseOutcome.messages.map(\.body), [bytes("A"), [], bytes("CC")])
        XCTAssertEqual(responseOutcome.messages.last?.endOffset, responses.count)
    }

    func testObsoleteLineFoldingBecomesOneSpace() throws {
        let input = bytes("GET / HTTP/1.1\r\nX-Long: first\r\n   second\r\n\tthird  \r\nX-Empty:\r\n  later\r\nHost: h\r\n\r\n")
        let outcome = runHTTP1(.request, input)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(
            outcome.messages.first?.headers,
            [HeaderField("X-Long", "first second third"), HeaderField("X-Empty", "later"), HeaderField("Host", "h")])
    }

    func testHeaderCaseOrderAndDuplicatesPreserved() throws {
        let input = bytes(
            "GET / HTTP/1.1\r\nhost: h\r\nX-Trace-ID:\t abc \t\r\nSet-Cookie: a=1\r\nCOOKIE: x=1\r\nSet-Cookie: b=2\r\nEmpty:\r\nUtf8: caf\u{E9}\r\n\r\n")
        let outcome = runHTTP1(.request, input)
        XCTAssertNil(outcome.error)
        let headers = try XCTUnwrap(outcome.messages.first?.headers)
        XCTAssertEqual(headers, [
            HeaderField("host", "h"), HeaderField("X-Trace-ID", "abc"), HeaderField("Set-Cookie", "a=1"),
            HeaderField("COOKIE", "x=1"), HeaderField("Set-Cookie", "b=2"), HeaderField("Empty", ""), HeaderField("Utf8", "caf\u{E9}"),
        ])
        // A value that is not UTF-8 is read as ISO-8859-1, byte for byte.
        let latin1 = runHTTP1(.request, bytes("GET / HTTP/1.1\r\nX: caf") + [0xE9] + bytes("\r\n\r\n"))
        XCTAssertEqual(latin1.messages.first?.headers, [HeaderField("X", "caf\u{E9}")])
    }

    func testLeadingEmptyLinesAndStatusLineVariants() throws {
        let requests = runHTTP1(.request, bytes("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n\r\nGET /2 HTTP/1.0\n\n"))
        XCTAssertNil(requests.error)
        XCTAssertEqual(requests.messages.map(\.startOffset), [5, 25])
        XCTAssertEqual(requests.messages.map(\.version), ["HTTP/1.1", "HTTP/1.0"])

        let responses = runHTTP1(.response, bytes("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"), methods: ["GET", "GET"])
        XCTAssertNil(responses.error)
        XCTAssertEqual(responses.messages.map(\.reason), ["", ""])
        XCTAssertEqual(responses.messages.map(\.status), [200, 404])
    }

    func testRepeatedIdenticalContentLengthIsAccepted() throws {
        let outcome = runHTTP1(.request, bytes("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc"))
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages.first?.body, bytes("abc"))
    }

    func testResponseWithoutKnownRequestIsFramedAsGet() throws {
        let outcome = runHTTP1(.response, bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages.first?.body, bytes("ok"))
    }
}
