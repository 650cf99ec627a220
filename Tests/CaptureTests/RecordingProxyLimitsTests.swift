import Capture
import Foundation
import TestSupport
import XCTest

/// The recording proxy's guards, over plain sockets: a trickled request head
/// is cut off at the head timeout, a quick one is forwarded, and connections
/// over the limit are closed as they arrive.
final class RecordingProxyLimitsTests: XCTestCase {
    /// A blocking loopback socket with a receive timeout.
    final class Socket {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

        /// Reads for up to `seconds`, or until `done` holds for what arrived;
        /// the bytes and whether the peer closed.
        func read(for seconds: Double, until done: (String) -> Bool = { _ in false }) -> (String, closed: Bool) {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { return (String(decoding: bytes, as: UTF8.self), true) }
                if n > 0 {
                    bytes += buffer[0..<n]
                    if done(String(decoding: bytes, as: UTF8.self)) { break }
                }
                if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return (String(decoding: bytes, as: UTF8.self), true) }
            }
            return (String(decoding: bytes, as: UTF8.self), false)
        }

        /// Reads until a response head has arrived (or the peer closed, or 5 s passed).
        func readHead() -> (String, closed: Bool) { read(for: 5) { $0.contains("\r\n\r\n") } }
    }

    func testSlowHeadsAreCutOffAndConnectionsOverTheLimitRefused() async throws {
        let upstream = try await ProxyTestUpstream.start(tls: false)
        var configuration = RecordingProxy.Configuration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: "127.0.0.1", port: upstream.port),
            maxConnections: 2, idleTimeout: 5, headTimeout: 0.4, tool: "authreplay tests"
        )
        let lines = Box<[String]>([])
        configuration.log = { line in lines.update { $0.append(line) } }
        let proxy = try await RecordingProxy.start(configuration: configuration)

        // A head trickled a byte every 100 ms: cut off after 0.4 s, nothing forwarded.
        let slow = try Socket(port: proxy.port)
        slow.send("GET /api/me HTTP/1.1\r\nHo")
        var closed = false
        for byte in "st: staging\r\nX-Slow: 1\r\n" {
            slow.send(String(byte))
            if slow.read(for: 0.1).closed {
                closed = true
                break
            }
        }
        XCTAssertTrue(closed, "a head still incomplete after the head timeout is cut off")
        XCTAssertTrue(lines.value.contains { $0.contains("request head not complete") }, "\(lines.value)")
        XCTAssertEqual(upstream.requests.count, 0)

        // A quick head goes through, and its keep-alive connection outlives the head timeout.
        let quick = try Socket(port: proxy.port)
        quick.send("GET /api/me HTTP/1.1\r\nHost: staging\r\n\r\n")
        let (answer, _) = quick.readHead()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 "), answer)
        XCTAssertFalse(quick.read(for: 0.6).closed)

        // Two open (quick and this one, admitted once it is answered): a third
        // is closed without an answer, although its request is complete (the
        // head timeout cannot be what closes it).
        let second = try Socket(port: proxy.port)
        second.send("GET /api/me HTTP/1.1\r\nHost: staging\r\n\r\n")
        let (secondAnswer, secondClosed) = second.readHead()
        XCTAssertTrue(secondAnswer.hasPrefix("HTTP/1.1 ") && !secondClosed, secondAnswer)
        let third = try Socket(port: proxy.port)
        third.send("GET /api/me HTTP/1.1\r\nHost: staging\r\n\r\n")
        let (thirdAnswer, thirdClosed) = third.readHead()
        XCTAssertTrue(thirdClosed, "over the limit: \(thirdAnswer)")
        XCTAssertEqual(thirdAnswer, "", "over the limit: not answered")
        XCTAssertTrue(lines.value.contains { $0.contains("refused: 2 connections already open") }, "\(lines.value)")
        _ = second
        try await proxy.stop()
        await upstream.stop()
    }

    func testPayloadsBeyondTheRecordingBudgetAreForwardedButNotRecorded() async throws {
        let upstream = try await ProxyTestUpstream.start(tls: false)
        let configuration = RecordingProxy.Configuration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: "127.0.0.1", port: upstream.port),
            recordingBudget: 100, tool: "authreplay tests"
        )
        let proxy = try await RecordingProxy.start(configuration: configuration)
        let client = try Socket(port: proxy.port)
        let body = String(repeating: "x", count: 300)
        client.send("POST /login HTTP/1.1\r\nHost: staging\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let (answer, _) = client.readHead()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), "forwarded whole: \(answer)")
        XCTAssertEqual(upstream.requests.count, 1)
        let recording = try await proxy.stop()
        let session = try XCTUnwrap(recording.sessions.first)
        XCTAssertTrue(session.anomalies.contains { $0.kind == .limit && $0.detail.contains("recording budget") }, "\(session.anomalies)")
        XCTAssertLessThanOrEqual(session.exchanges.first?.request.body?.bytes.count ?? 0, 100)
        await upstream.stop()
    }
}
