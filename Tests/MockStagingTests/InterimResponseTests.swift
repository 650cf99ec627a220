import MockStaging
import TrafficModel
import XCTest

/// Recorded 1xx interim responses are sent before the final one.
final class InterimResponseTests: XCTestCase {
    static func recording() -> Recording {
        var created = TestRecordings.response(0.2, 201, "Created", body: "stored")
        created.interim = [
            InterimResponse(at: 0.11, status: 100, reason: "Continue", headers: []),
            InterimResponse(at: 0.15, status: 103, reason: "Early Hints", headers: [HeaderField("Link", "</style.css>; rel=preload")]),
        ]
        let upload = HTTPExchange(
            request: TestRecordings.request(0.1, "POST", "/upload", headers: [HeaderField("Expect", "100-continue")], body: "data"),
            response: created
        )
        return Recording(
            source: Source(kind: .handWritten, name: "interim", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [TestRecordings.session("i1", start: 0, [upload])]
        )
    }

    static let expected = "HTTP/1.1 100 Continue\r\n\r\n"
        + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        + "HTTP/1.1 201 Created\r\nContent-Length: 6\r\n\r\nstored"

    func testInterimResponsesComeFirstInRecordedOrder() async throws {
        let server = try await MockStagingServer.start(recordings: [Self.recording()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\ndata")
        await connection.wait { bytes, _ in String(decoding: bytes, as: UTF8.self).hasSuffix("stored") }
        XCTAssertEqual(String(decoding: connection.received, as: UTF8.self), Self.expected)
        await connection.close()
        try await server.stop()
    }

    func testAClientThatWaitsFor100ContinueGetsItBeforeSendingTheBodyAndOnlyOnce() async throws {
        let server = try await MockStagingServer.start(recordings: [Self.recording()])
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let continued = await connection.wait { bytes, _ in String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n" }
        XCTAssertTrue(continued, String(decoding: connection.received, as: UTF8.self))
        try await connection.send("data")
        await connection.wait { bytes, _ in String(decoding: bytes, as: UTF8.self).hasSuffix("stored") }
        XCTAssertEqual(String(decoding: connection.received, as: UTF8.self), Self.expected)
        await connection.close()
        try await server.stop()
    }
}
