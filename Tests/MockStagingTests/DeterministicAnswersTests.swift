import MockStaging
import TestSupport
import TrafficModel
import Wire
import XCTest

/// Issue 19: the mock's answers are byte-identical over 100 repeated runs.
///
/// One run is a fixed client conversation over real sockets, the same bytes
/// every time (fixed Sec-WebSocket-Key, fixed masks, a deterministic
/// deflater): a login that issues a token, three answers to one GET in
/// recorded order, an unmatched request (the near-miss 404), a WebSocket
/// session opened with the issued token, a tampered token refused before the
/// upgrade, and a permessage-deflate session with compressed messages both
/// ways. Every byte the mock sends back is kept, per connection, and must be
/// the same in every run. Nothing is excluded: the mock sends no Date header
/// and nothing else that is live (a header or body that depends on the wall
/// clock or a random number would fail this test, and would be a bug).
///
/// Between runs the mock is `reset()` (replay positions and issued tokens
/// forgotten, as a fresh start); a second, freshly started mock must answer
/// the same bytes as the first did.
final class DeterministicAnswersTests: XCTestCase {
    static let runs = 100

    static func recordings() -> [Recording] {
        [TestRecordings.chat(), TestRecordings.counter(), PerMessageDeflateServingTests.recording()]
    }

    func testAnswersAreByteIdenticalOverOneHundredRuns() async throws {
        let server = try await MockStagingServer.start(recordings: Self.recordings())
        let first = try await Self.conversation(port: server.port)
        try Self.checkItIsTheConversationMeant(first)

        for run in 2...Self.runs {
            server.reset()
            let again = try await Self.conversation(port: server.port)
            if let difference = Self.firstDifference(first, again) {
                XCTFail("run \(run) differs from run 1: \(difference)")
                break
            }
        }
        try await server.stop()

        let fresh = try await MockStagingServer.start(recordings: Self.recordings())
        let fromFresh = try await Self.conversation(port: fresh.port)
        try await fresh.stop()
        XCTAssertNil(Self.firstDifference(first, fromFresh), "a freshly started mock answers as the reset one did")
    }

    /// The bytes the mock sent on each connection of one run, in order.
    struct Answers {
        var connections: [(name: String, bytes: [UInt8])]
    }

    // MARK: - One run

    static func conversation(port: Int) async throws -> Answers {
        var answers = Answers(connections: [])
        answers.connections.append(("http", try await httpExchanges(port: port)))
        answers.connections.append(("websocket with the issued token", try await chatSession(port: port)))
        answers.connections.append(("tampered token", try await refusedUpgrade(port: port)))
        answers.connections.append(("permessage-deflate", try await compressedSession(port: port)))
        return answers
    }

    static let login = #"{"username":"alice","password":"pw"}"#

    /// Requests one at a time on one keep-alive connection, each sent once the
    /// previous answer is complete (framed by Wire's HTTP/1.1 parser).
    static func httpExchanges(port: Int) async throws -> [UInt8] {
        let requests: [(method: String, head: String)] = [
            ("POST", "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(login.utf8.count)\r\n\r\n\(login)"),
            ("GET", "GET /counter?b=2&a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("GET", "GET /counter?b=2&a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("GET", "GET /counter?b=2&a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("GET", "GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("GET", "GET /nowhere?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"),
        ]
        let connection = try await RawConnection.connect(port: port)
        for (index, request) in requests.enumerated() {
            try await connection.send(request.head)
            let methods = requests.prefix(index + 1).map(\.method)
            guard await connection.wait(until: { bytes, _ in completeResponses(bytes, methods: methods) > index }) else {
                throw TestFailure("no complete answer to request \(index + 1) (\(request.head.prefix(30))…) within 5 s")
            }
        }
        await connection.close()
        return connection.received
    }

    /// The chat recording's WebSocket session with the token the login issued.
    static func chatSession(port: Int) async throws -> [UInt8] {
        let connection = try await RawConnection.connect(port: port)
        try await connection.send(RawFrames.handshake("/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.token)"]))
        try await waitForFrames(connection, 1)
        try await connection.send(RawFrames.text(#"{"type":"subscribe","channel":"news"}"#))
        try await waitForFrames(connection, 3)
        try await connection.send(RawFrames.text(#"{"type":"bye"}"#))
        try await waitForFrames(connection, 4)
        try await connection.send(RawFrames.close(1000, "done"))
        return await connection.readToEnd()
    }

    static func refusedUpgrade(port: Int) async throws -> [UInt8] {
        let connection = try await RawConnection.connect(port: port)
        try await connection.send(RawFrames.handshake("/ws?room=1", headers: ["Authorization: Bearer \(TestRecordings.tampered)"]))
        guard await connection.wait(until: { bytes, _ in completeResponses(bytes, methods: ["GET"]) == 1 }) else {
            throw TestFailure("no answer to the tampered upgrade within 5 s")
        }
        await connection.close()
        return connection.received
    }

    /// The compressed session, the client compressing with a fixed window
    /// (zlib is deterministic for the same input and parameters).
    static func compressedSession(port: Int) async throws -> [UInt8] {
        let connection = try await RawConnection.connect(port: port)
        try await connection.send(RawFrames.handshake("/live", headers: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]))
        let deflater = PerMessageDeflater(windowBits: 10)
        try await waitForFrames(connection, 1)
        try await connection.send(RawFrames.client(1, deflater.compress(Array(PerMessageDeflateServingTests.subscribe.utf8)), rsv1: true))
        try await waitForFrames(connection, 3)
        try await connection.send(RawFrames.client(1, deflater.compress(Array(PerMessageDeflateServingTests.bye.utf8)), rsv1: true))
        try await waitForFrames(connection, 4)
        try await connection.send(RawFrames.close(1000, "done"))
        return await connection.readToEnd()
    }

    static func waitForFrames(_ connection: RawConnection, _ count: Int) async throws {
        let arrived = await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= count }
        guard arrived else {
            throw TestFailure("\(count) frames did not arrive within 5 s; got: \(connection.text.prefix(300))")
        }
    }

    /// Complete HTTP responses at the start of `bytes`, framed as answers to `methods`.
    static func completeResponses(_ bytes: [UInt8], methods: [String]) -> Int {
        var parser = HTTP1Parser(role: .response)
        for method in methods { parser.enqueueRequestMethod(method) }
        parser.append(bytes)
        var count = 0
        while case .message? = try? parser.next() { count += 1 }
        return count
    }

    // MARK: - Checks

    /// Run 1 is the conversation meant (so equal runs are not equal failures).
    static func checkItIsTheConversationMeant(_ answers: Answers) throws {
        let text = answers.connections.map { String(decoding: $0.bytes, as: UTF8.self) }
        XCTAssertTrue(text[0].hasPrefix("HTTP/1.1 200"), text[0])
        XCTAssertTrue(text[0].contains("count 1") && text[0].contains("count 2") && text[0].contains("count 3"), text[0])
        XCTAssertEqual(text[0].components(separatedBy: "HTTP/1.1 404").count, 2, "one unmatched request: \(text[0])")
        for (name, bytes) in answers.connections {
            let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
            XCTAssertFalse(head.lowercased().contains("\r\ndate:"), "\(name): a Date header is live and breaks determinism")
        }
        let chat = try XCTUnwrap(RawFrames.splitHead(answers.connections[1].bytes))
        XCTAssertTrue(chat.head.hasPrefix("HTTP/1.1 101"), chat.head)
        XCTAssertEqual(RawFrames.parse(chat.rest).map(\.opcode), [1, 1, 1, 8])
        XCTAssertTrue(text[2].hasPrefix("HTTP/1.1 401"), text[2])
        let live = try XCTUnwrap(RawFrames.splitHead(answers.connections[3].bytes))
        XCTAssertTrue(live.head.contains("permessage-deflate"), live.head)
        XCTAssertEqual(RawFrames.parse(live.rest).map(\.rsv1), [true, true, false, false])
    }

    /// Where two runs first differ, readably, or nil when they are identical.
    static func firstDifference(_ a: Answers, _ b: Answers) -> String? {
        for ((name, x), (_, y)) in zip(a.connections, b.connections) where x != y {
            let offset = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
            func around(_ bytes: [UInt8]) -> String {
                String(decoding: bytes[max(0, offset - 40)..<min(bytes.count, offset + 40)], as: UTF8.self).debugDescription
            }
            return "\(name): \(x.count) vs \(y.count) bytes, first difference at byte \(offset): \(around(x)) vs \(around(y))"
        }
        return a.connections.count == b.connections.count ? nil : "different connection counts"
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
