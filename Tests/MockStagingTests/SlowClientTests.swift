import MockStaging
import TrafficModel
import XCTest

/// Slow clients (slowloris) against the mock: a request head trickled in is
/// cut off at the head timeout; a quick head on a keep-alive connection, the
/// pause after it and an upgraded WebSocket are not.
final class SlowClientTests: XCTestCase {
    private func start() async throws -> MockStagingServer {
        var configuration = MockStagingServer.Configuration(port: 0)
        configuration.headTimeout = 0.4
        configuration.idleTimeout = 5
        return try await MockStagingServer.start(recordings: [TestRecordings.counter(), TestRecordings.chat()], configuration: configuration)
    }

    func testATrickledRequestHeadIsClosedAtTheHeadTimeout() async throws {
        let server = try await start()
        let slow = try await RawConnection.connect(port: server.port)
        try await slow.send("GET /other HTTP/1.1\r\nHo")
        // A byte every 100 ms keeps the connection busy: the idle timeout (5 s) never fires.
        var closed = false
        for byte in "st: staging\r\nX-Slow: ".utf8 {
            try? await slow.send([byte])
            if await slow.wait(timeout: .milliseconds(100), until: { _, done in done }) {
                closed = true
                break
            }
        }
        XCTAssertTrue(closed, "a head still incomplete after the head timeout is cut off")
        XCTAssertEqual(slow.received, [], "nothing is answered to half a head")
        try await server.stop()
    }

    func testKeepAliveAndWebSocketConnectionsOutliveTheHeadTimeout() async throws {
        let server = try await start()
        let http = try await RawConnection.connect(port: server.port)
        try await http.send("GET /other HTTP/1.1\r\nHost: staging\r\n\r\n")
        let first = await http.wait { bytes, _ in String(decoding: bytes, as: UTF8.self).hasSuffix("other") }
        XCTAssertTrue(first)
        // Longer than the head timeout, shorter than the idle timeout: still open.
        try await Task.sleep(for: .milliseconds(800))
        try await http.send("GET /other HTTP/1.1\r\nHost: staging\r\n\r\n")
        let second = await http.wait { bytes, _ in String(decoding: bytes, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == 3 }
        XCTAssertTrue(second, String(decoding: http.received, as: UTF8.self))
        await http.close()

        let ws = try await RawConnection.connect(port: server.port)
        let upgrade = TestRecordings.chat().sessions[1].exchanges[0].request
        var head = "GET \(upgrade.target) HTTP/1.1\r\n"
        for field in upgrade.headers { head += "\(field.name): \(field.value)\r\n" }
        try await ws.send(head + "\r\n")
        let upgraded = await ws.wait { bytes, _ in String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 101") }
        XCTAssertTrue(upgraded)
        try await Task.sleep(for: .milliseconds(800))
        let closed = await ws.wait(timeout: .milliseconds(10)) { _, done in done }
        XCTAssertFalse(closed, "an upgraded connection has no head deadline")
        await ws.close()
        try await server.stop()
    }
}
