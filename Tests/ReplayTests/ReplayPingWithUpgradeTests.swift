import Crypto
import Foundation
@testable import Replay
import TestSupport
import TrafficModel
import XCTest

/// A server that sends a ping in the same TCP segment as its 101 (aiohttp
/// does, when it pings right after an `auth_ok`). Replay used to answer that
/// ping while the HTTP response decoder was still leaving the pipeline; the
/// decoder also observes outbound writes as HTTP request parts and trapped
/// on the pong ("tried to decode as type HTTPPart<HTTPRequestHead, IOData>
/// but found IOData"), killing the whole replay. Found by the differential
/// tests (Tests/DifferentialTests) against the aiohttp peer.
final class ReplayPingWithUpgradeTests: XCTestCase {
    static let hello = #"{"type":"auth_ok"}"#

    static var recording: Recording {
        let session = Session(
            id: "p1", client: Endpoint(host: "10.20.0.5", port: 51901), server: Endpoint(host: "10.20.0.9", port: 8000), start: 1,
            exchanges: [HTTPExchange(
                request: HTTPRequest(at: 1.0, method: "GET", target: "/ws", headers: [
                    HeaderField("Host", "peer.example.com"), HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
                    HeaderField("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), HeaderField("Sec-WebSocket-Version", "13"),
                ]),
                response: HTTPResponse(at: 1.01, status: 101, reason: "Switching Protocols", headers: [
                    HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
                    HeaderField("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ])
            )],
            websocket: WebSocketSession(extensions: nil, messages: [
                WebSocketMessage(direction: .server, at: 1.02, opcode: .text, payload: .text(hello)),
                WebSocketMessage(direction: .server, at: 1.02, opcode: .ping, payload: .text("hb")),
                WebSocketMessage(direction: .client, at: 1.03, opcode: .pong, payload: .text("hb")),
                WebSocketMessage(direction: .server, at: 1.04, opcode: .close, payload: .text("done"), closeCode: 1000),
                WebSocketMessage(direction: .client, at: 1.05, opcode: .close, payload: .text("done"), closeCode: 1000),
            ]),
            end: SessionEnd(kind: .closed, at: 1.06, by: .server)
        )
        return Recording(source: Source(kind: .handWritten, name: "ping-with-101", tool: "tests"), capturedAt: StagingRecordings.capturedAt, sessions: [session])
    }

    func testAPingInTheSameSegmentAsThe101IsAnsweredAfterTheUpgrade() async throws {
        let server = try OneShotWebSocketServer()
        defer { server.close() }
        let target = try ReplayTarget(url: "http://127.0.0.1:\(server.port)")
        let plan = try ReplayPlan.build([.init(name: "ping.json", recording: Self.recording)], target: target)
        // Several connections: the race needed the ping and the 101 in one read, which this server always does.
        for _ in 0..<5 {
            let report = await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
            XCTAssertEqual(report.results.map(\.verdict), [.passed], report.lines.joined(separator: "\n"))
        }
        XCTAssertEqual(server.pongs.value, 5, "one pong per connection, after the upgrade")
    }
}

/// A blocking POSIX server on a thread: per connection, reads the request
/// head, writes the 101, a text frame and a ping in one `send`, reads the
/// pong (counted), sends a close frame and waits for the client's.
final class OneShotWebSocketServer: @unchecked Sendable {
    let port: UInt16
    let pongs = Box(0)
    private let fd: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else {
            Glibc.close(listener)
            throw TestTimeout(seconds: 0)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        fd = listener
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            handle(client)
            Glibc.close(client)
        }
    }

    private func handle(_ client: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.ends(with: Array("\r\n\r\n".utf8)) {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            received += buffer[..<n]
        }
        let hello = Array(ReplayPingWithUpgradeTests.hello.utf8)
        let request = String(decoding: received, as: UTF8.self)
        let key = request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
            .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
        let accept = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
        let burst = Array(head.utf8) + [0x81, UInt8(hello.count)] + hello + [0x89, 2] + Array("hb".utf8)
        guard send(client, burst, burst.count, 0) == burst.count else { return }
        // The pong: a masked frame, opcode 0xA.
        var frame: [UInt8] = []
        while frame.count < 2 + 4 + 2 {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            frame += buffer[..<n]
        }
        if frame[0] & 0x0F == 0xA { pongs.update { $0 += 1 } }
        let close: [UInt8] = [0x88, 6, 0x03, 0xE8] + Array("done".utf8)
        _ = send(client, close, close.count, 0)
        _ = recv(client, &buffer, buffer.count, 0)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
