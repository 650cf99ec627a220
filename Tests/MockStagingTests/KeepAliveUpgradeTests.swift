import MockStaging
import TrafficModel
import XCTest

/// A WebSocket upgrade that is not the first request on its connection.
final class KeepAliveUpgradeTests: XCTestCase {
    /// GET /login, an upgrade to /ws with a subprotocol, and an upgrade to
    /// /ws?room=2 that the recorded server refused with 403.
    static func recording() -> Recording {
        var upgraded = TestRecordings.switching
        upgraded.at = 1.01
        upgraded.headers.append(HeaderField("Sec-WebSocket-Protocol", "chat.v1"))
        let login = HTTPExchange(
            request: TestRecordings.request(0.1, "GET", "/login"),
            response: TestRecordings.response(0.11, 200, "OK", body: "login page")
        )
        let ws = HTTPExchange(
            request: TestRecordings.request(1.0, "GET", "/ws", headers: TestRecordings.upgradeHeaders + [HeaderField("Sec-WebSocket-Protocol", "chat.v1, chat.v2")]),
            response: upgraded
        )
        let refused = HTTPExchange(
            request: TestRecordings.request(2.0, "GET", "/ws?room=2", headers: TestRecordings.upgradeHeaders),
            response: TestRecordings.response(2.01, 403, "Forbidden", body: "no")
        )
        return Recording(
            source: Source(kind: .handWritten, name: "keepalive", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [
                TestRecordings.session("k1", start: 0, [login]),
                TestRecordings.session("k2", start: 1, [ws], websocket: WebSocketSession(subprotocol: "chat.v1", messages: [
                    TestRecordings.server(1.02, "hello"), TestRecordings.close(.server, 1.03, 1000, "bye"),
                ])),
                TestRecordings.session("k3", start: 2, [refused]),
            ]
        )
    }

    struct Answer {
        var head: String
        var body: String
        var status: Int { head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0 }
    }

    /// Splits received bytes into complete fixed-length HTTP answers; a 101
    /// ends the list and what follows it is returned as WebSocket bytes.
    static func answers(_ bytes: [UInt8]) -> (answers: [Answer], webSocket: [UInt8]?) {
        var answers: [Answer] = []
        var rest = bytes
        while let (head, after) = RawFrames.splitHead(rest) {
            if head.hasPrefix("HTTP/1.1 101") { return (answers + [Answer(head: head, body: "")], after) }
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            guard after.count >= length else { break }
            answers.append(Answer(head: head, body: String(decoding: after.prefix(length), as: UTF8.self)))
            rest = Array(after.dropFirst(length))
        }
        return (answers, nil)
    }

    private static func hasFrame(_ bytes: [UInt8]) -> Bool {
        guard let ws = answers(bytes).webSocket else { return false }
        return !RawFrames.parse(ws).isEmpty
    }

    func testAnUpgradeAfterAPlainRequestOnTheSameConnectionIsServedLikeAFirstOne() async throws {
        let server = try await MockStagingServer.start(recordings: [Self.recording()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send("GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await connection.wait { bytes, _ in Self.answers(bytes).answers.count == 1 }
        XCTAssertEqual(Self.answers(connection.received).answers.first?.body, "login page")

        try await connection.send(RawFrames.handshake("/ws", headers: ["Sec-WebSocket-Protocol: chat.v1, chat.v2"]))
        await connection.wait { bytes, _ in Self.hasFrame(bytes) }
        let (answers, ws) = Self.answers(connection.received)
        XCTAssertEqual(answers.map(\.status), [200, 101])
        let head = try XCTUnwrap(answers.last?.head)
        XCTAssertTrue(head.contains("\r\nSec-WebSocket-Protocol: chat.v1"), head)
        XCTAssertTrue(head.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), head)
        XCTAssertEqual(RawFrames.parse(ws ?? []).first?.text, "hello")
        await connection.close()
        try await server.stop()
    }

    func testPipelinedPlainRequestRefusedUpgradeAndUpgradeAreAnsweredInOrder() async throws {
        let server = try await MockStagingServer.start(recordings: [Self.recording()])
        let connection = try await RawConnection.connect(port: server.port)
        // All three in one write: NIO's pipelining handler hands them over one at a time.
        try await connection.send(
            "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + RawFrames.handshake("/ws?room=2")
                + RawFrames.handshake("/ws", headers: ["Sec-WebSocket-Protocol: chat.v1"])
        )
        await connection.wait { bytes, _ in Self.hasFrame(bytes) }
        let (answers, ws) = Self.answers(connection.received)
        XCTAssertEqual(answers.map(\.status), [200, 403, 101])
        XCTAssertEqual(answers.map(\.body), ["login page", "no", ""])
        let frames = RawFrames.parse(ws ?? [])
        XCTAssertEqual(frames.first?.text, "hello")
        await connection.close()
        try await server.stop()
    }

    func testAnUpgradeRequestTheRecordingDidNotUpgradeIsAnsweredAsRecordedOnALaterRequestToo() async throws {
        let server = try await MockStagingServer.start(recordings: [Self.recording()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send("GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await connection.wait { bytes, _ in Self.answers(bytes).answers.count == 1 }
        try await connection.send(RawFrames.handshake("/ws?room=2"))
        await connection.wait { bytes, _ in Self.answers(bytes).answers.count == 2 }
        try await connection.send("GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await connection.wait { bytes, _ in Self.answers(bytes).answers.count == 3 }
        let answers = Self.answers(connection.received).answers
        XCTAssertEqual(answers.map(\.status), [200, 403, 200])
        XCTAssertEqual(answers.map(\.body), ["login page", "no", "login page"])
        XCTAssertFalse(connection.isClosed)
        await connection.close()
        try await server.stop()
    }
}
