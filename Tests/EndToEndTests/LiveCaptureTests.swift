import AsyncHTTPClient
import Capture
import Foundation
import HTTPTypes
import Logging
import MockStaging
import NIOCore
import TestSupport
import NIOWebSocket
import TrafficModel
import WSClient
import XCTest

/// Live libpcap capture on `lo` of a real HTTP login and a real WebSocket
/// session (served by the mock from the shipped recording), turned into a
/// recording by the same pipeline `authreplay capture` runs. Needs root.
final class LiveCaptureTests: XCTestCase {
    static let repositoryRoot = Corpus.packageRoot

    func testCapturesALoginAndAWebSocketSessionOnLoopback() async throws {
        try requireOrSkip(getuid() == 0, "live capture on lo needs root")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.repositoryRoot)/recordings/auth-required.json"))
        let shipped = try RecordingCodec.decode(data)
        let server = try await MockStagingServer.start(recordings: [shipped])
        let port = server.port
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port \(port)")
        let finished = Box(0)
        let capture = Task.detached { () -> [Session] in
            var processor = CaptureProcessor(linkType: source.linkType)
            var sessions: [Session] = []
            while let packet = try source.next() {
                sessions += processor.process(packet.data, at: packet.timestamp)
                finished.update { [count = sessions.count] in $0 = count }
            }
            return sessions + processor.finish(truncated: false)
        }
        do {
            // The login: the mock answers with the recorded token.
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/auth/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"username":"alice","password":"correct horse"}"#))
            let response = try await http.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await http.shutdown()
            XCTAssertEqual(response.status.code, 200)
            let token = try XCTUnwrap(JSONParser.parse(Array(body.readableBytesView))["access_token"]?.stringValue)

            // The WebSocket with that token gets AUTH_REQUIRED and a 1008 close.
            var fields = HTTPFields()
            fields[.authorization] = "Bearer \(token)"
            let headers = fields
            let close = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws",
                configuration: WebSocketClientConfiguration(additionalHeaders: headers, closeTimeout: .seconds(3)),
                logger: Logger(label: "live-capture-test")
            ) { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 20) {}
            }
            XCTAssertEqual(close?.closeCode, .policyViolation)
            // Stop once the capture has read both connections to their end (the
            // assertions below say what is missing if that never happens).
            try? await eventually(5) { finished.value >= 2 }
        } catch {
            source.stop()
            _ = try? await capture.value
            try await server.stop()
            throw error
        }
        source.stop()
        let sessions = try await capture.value
        try await server.stop()

        XCTAssertEqual(sessions.count, 2, "\(sessions.map(\.exchanges))")
        let login = try XCTUnwrap(sessions.first { $0.exchanges.first?.request.path == "/auth/token" })
        XCTAssertEqual(login.exchanges.first?.response?.status, 200)
        XCTAssertTrue(login.auth.contains { $0.role == .issued && $0.location == "body:$.access_token" })
        let ws = try XCTUnwrap(sessions.first { $0.websocket != nil })
        XCTAssertEqual(ws.exchanges.first?.response?.status, 101)
        XCTAssertEqual(ws.server.port, UInt16(port))
        let messages = try XCTUnwrap(ws.websocket?.messages)
        XCTAssertEqual(messages.first?.direction, .server)
        XCTAssertTrue(messages.first?.payload.text?.contains("AUTH_REQUIRED") ?? false)
        XCTAssertEqual(ws.websocket?.close?.code, 1008)
        XCTAssertEqual(ws.websocket?.close?.frame.direction, .server)
        // The token the client presented is linked to the login that issued it.
        XCTAssertEqual(ws.auth.first { $0.role == .presented }?.issuedBy?.session, login.id)
        XCTAssertEqual(ws.anomalies.filter { $0.kind != .protocolViolation }, [])
    }
}
