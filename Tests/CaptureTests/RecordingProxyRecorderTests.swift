@testable import Capture
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

    /// A store whose clock the test sets, as packet times would.
    private final class TestClock: @unchecked Sendable {
        var now: Double
        init(_ now: Double) { self.now = now }
    }

    /// Every TCP payload of `packets`, fed to a proxy store in capture order,
    /// as the proxy's relays would hand them over; the sessions it ends.
    private func proxied(_ packets: [CapturedPacket], serverPort: UInt16) throws -> [Session] {
        let clock = TestClock(packets[0].timestamp.seconds)
        let store = ProxyRecordingStore(clock: { clock.now })
        var open: [UInt16: Int] = [:]  // client port → session
        var firstCloser: [UInt16: Direction] = [:]
        for packet in packets {
            guard case .tcp(let segment) = try PacketDecoder.decode(packet.data, linkType: .ethernet) else { continue }
            clock.now = packet.timestamp.seconds
            let direction: Direction = segment.destination.port == serverPort ? .client : .server
            let (client, server) = direction == .client ? (segment.source, segment.destination) : (segment.destination, segment.source)
            if segment.flags.contains(.syn), direction == .client {
                open[client.port] = store.open(client: Endpoint(host: "\(client.address)", port: client.port), server: Endpoint(host: "\(server.address)", port: server.port))
            }
            guard let index = open[client.port] else { continue }
            if !segment.payload.isEmpty { store.received(index, segment.payload, from: direction) }
            if segment.flags.contains(.fin) {
                if firstCloser[client.port] == nil {
                    firstCloser[client.port] = direction
                } else {
                    store.finish(index, kind: .fin, by: firstCloser[client.port])
                }
            }
        }
        return store.stop()
    }

    private func captured(_ packets: [CapturedPacket]) -> [Session] {
        var processor = CaptureProcessor(linkType: .ethernet)
        var sessions: [Session] = []
        for packet in packets { sessions += processor.process(packet.data, at: packet.timestamp) }
        return sessions + processor.finish(truncated: false)
    }

    func testAProxiedSessionIsRecordedExactlyAsACaptureOfTheSameTraffic() throws {
        let packets = CaptureFixtures.authRequiredPackets()
        let capture = captured(packets)
        let proxy = try proxied(packets, serverPort: 8000)
        XCTAssertEqual(capture.count, 2)
        XCTAssertEqual(proxy, capture, "the same bytes make the same sessions: exchanges, WebSocket messages, auth findings, ends")
        XCTAssertEqual(proxy.last?.websocket?.close?.code, 1008)
        XCTAssertEqual(proxy.last?.auth.first?.issuedBy?.session, "s1", "the token issued on the login is linked across connections")
    }

    func testAnUpstreamFailureIsRecordedAsTheAnswerTheClientGot() throws {
        let store = ProxyRecordingStore(clock: { 1_764_050_400 })
        let index = try XCTUnwrap(store.open(client: Endpoint(host: "127.0.0.1", port: 50000), server: Endpoint(host: "staging", port: 443)))
        store.received(index, Array("GET /api/me HTTP/1.1\r\nHost: staging\r\n\r\n".utf8), from: .client)
        let answer = Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".utf8)
        store.answeredForUpstream(index, response: answer, detail: "exchange 0: refused")
        store.finish(index, kind: .fin, by: .server)
        let session = try XCTUnwrap(store.sessions().first)
        XCTAssertEqual(session.exchanges.first?.response?.status, 502)
        XCTAssertEqual(session.exchanges.first?.response?.body, .text("{}"))
        XCTAssertEqual(session.anomalies.map(\.kind), [.upstreamError])
    }

    func testWebSocketBytesSplitAnywhereGiveTheSameMessages() throws {
        let handshake = Array("GET /ws HTTP/1.1\r\nHost: s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)
        let accept = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: chat\r\n\r\n".utf8)
        // A masked client text "hi", a server text "hello", a server close 1008.
        let client: [UInt8] = [0x81, 0x82, 1, 2, 3, 4, UInt8(ascii: "h") ^ 1, UInt8(ascii: "i") ^ 2]
        let server: [UInt8] = accept + [0x81, 0x05] + Array("hello".utf8) + [0x88, 0x04, 0x03, 0xF0] + Array("no".utf8)
        func record(splitAt cut: Int) throws -> Session {
            let store = ProxyRecordingStore(clock: { 1_764_050_400 })
            let index = try XCTUnwrap(store.open(client: Endpoint(host: "127.0.0.1", port: 50000), server: Endpoint(host: "s", port: 80)))
            store.received(index, handshake, from: .client)
            store.received(index, server.prefix(cut), from: .server)
            store.received(index, client, from: .client)
            store.received(index, server.dropFirst(cut), from: .server)
            store.finish(index, kind: .fin, by: .server)
            return try XCTUnwrap(store.sessions().first)
        }
        let whole = try record(splitAt: server.count)
        XCTAssertEqual(whole.websocket?.subprotocol, "chat")
        XCTAssertEqual(whole.websocket?.messages.map(\.payload), [.text("hello"), .text("no"), .text("hi")], "in arrival order")
        XCTAssertEqual(whole.websocket?.close?.code, 1008)
        XCTAssertEqual(whole.websocket?.close?.frame.direction, .server)
        for cut in accept.count...server.count {
            XCTAssertEqual(try record(splitAt: cut).websocket?.messages.map(\.payload).sorted { "\($0)" < "\($1)" },
                           whole.websocket?.messages.map(\.payload).sorted { "\($0)" < "\($1)" }, "split at \(cut)")
        }
    }

    func testAStopCutsOpenSessionsKeepingThePartialFrame() throws {
        let store = ProxyRecordingStore(clock: { 1_764_050_400 })
        let index = try XCTUnwrap(store.open(client: Endpoint(host: "127.0.0.1", port: 50000), server: Endpoint(host: "s", port: 80)))
        store.received(index, Array("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8), from: .client)
        store.received(index, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8) + [0x81, 0x05, 0x68], from: .server)
        let session = try XCTUnwrap(store.stop().first)
        XCTAssertEqual(session.end?.kind, .cut)
        XCTAssertEqual(session.anomalies.map(\.kind), [.truncated, .truncated])
        XCTAssertEqual(session.anomalies.first?.bytes, 3)
        XCTAssertNil(store.open(client: Endpoint(host: "127.0.0.1", port: 50001), server: Endpoint(host: "s", port: 80)), "a stopped store opens nothing")
    }
}
