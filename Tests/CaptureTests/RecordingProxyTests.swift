import AsyncHTTPClient
import Capture
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TestSupport
import TrafficModel
import WSClient
import WSCompression
import XCTest

/// A real TLS upstream on loopback, the proxy in front of it, real clients
/// (AsyncHTTPClient, swift-websocket) through the proxy: the recording must
/// hold what the clients saw.
final class RecordingProxyTests: XCTestCase {
    private var http: HTTPClient!
    private let logger = Logger(label: "recording-proxy-tests")

    override func setUp() async throws {
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    override func tearDown() async throws {
        try? await http.shutdown()
    }

    private func startProxy(
        upstreamPort: Int, scheme: UpstreamTarget.Scheme = .https, tls: RecordingProxy.UpstreamTLS, connectTimeout: Double = 5
    ) async throws -> RecordingProxy {
        let configuration = RecordingProxy.Configuration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: scheme, host: "127.0.0.1", port: upstreamPort),
            upstreamTLS: tls, connectTimeout: connectTimeout, tool: "authreplay tests"
        )
        return try await RecordingProxy.start(configuration: configuration, clock: Timestamp.wallClock)
    }

    private struct Answer {
        var status: Int
        var body: String
    }

    private func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: bytes))
    }

    private struct WebSocketOutcome {
        var texts: [String]
        var closeCode: WebSocketErrorCode?
        var failure: Error?
    }

    private func webSocket(
        _ url: String, authorization: String?, compression: Bool = false,
        onFirstMessage: @escaping @Sendable () async -> Void = {}
    ) async throws -> WebSocketOutcome {
        var fields = HTTPFields()
        if let authorization { fields[.authorization] = authorization }
        let configuration = WebSocketClientConfiguration(
            additionalHeaders: fields, extensions: compression ? [.perMessageDeflate()] : [], closeTimeout: .seconds(2)
        )
        let texts = Box<[String]>([])
        let logger = self.logger
        do {
            let close = try await withDeadline(10) {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        texts.update { $0.append(text) }
                        if texts.value.count == 1 { await onFirstMessage() }
                    }
                }
            }
            return WebSocketOutcome(texts: texts.value, closeCode: close?.closeCode)
        } catch let timeout as TestTimeout {
            throw timeout
        } catch {
            return WebSocketOutcome(texts: texts.value, closeCode: nil, failure: error)
        }
    }

    // MARK: Tests

    func testLoginRestAndWebSocketThroughTheProxyAreRecordedAsTheClientSawThem() async throws {
        let pki = try TestPKI.shared()
        let upstream = try await ProxyTestUpstream.start(tls: true)
        let proxy = try await startProxy(upstreamPort: upstream.port, tls: .init(caFile: pki.caFile))
        let base = "http://127.0.0.1:\(proxy.port)"

        let login = try await send(.POST, base + "/login", headers: [("Content-Type", "application/json")], body: #"{"user":"alice","password":"pw"}"#)
        XCTAssertEqual(login.status, 200)
        XCTAssertEqual(login.body, ProxyTestUpstream.loginBody)
        let me = try await send(.GET, base + "/api/me", headers: [("Authorization", "Bearer \(ProxyTestUpstream.token)"), ("X-Trace", "one")])
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual(me.body, ProxyTestUpstream.meBody)
        try await http.shutdown()
        http = HTTPClient(eventLoopGroupProvider: .singleton)

        // The client offers permessage-deflate; the proxy removes the offer.
        let ws = try await webSocket("ws://127.0.0.1:\(proxy.port)/ws", authorization: "Bearer \(ProxyTestUpstream.token)", compression: true)
        XCTAssertEqual(ws.texts, [ProxyTestUpstream.welcome, ProxyTestUpstream.errorMessage])
        XCTAssertNil(ws.failure)
        XCTAssertEqual(ws.closeCode, .policyViolation)

        try await eventually { proxy.recording().sessions.allSatisfy { $0.end != nil } && proxy.recording().sessions.count >= 2 }
        let recording = try await proxy.stop()
        await upstream.stop()

        XCTAssertEqual(recording.source, Source(kind: .proxy, name: "https://127.0.0.1:\(upstream.port)", tool: "authreplay tests"))
        let exchanges = recording.sessions.flatMap(\.exchanges)
        XCTAssertEqual(exchanges.map(\.request.method), ["POST", "GET", "GET"])
        XCTAssertEqual(exchanges.map(\.request.target), ["/login", "/api/me", "/ws"])
        XCTAssertEqual(exchanges.map { $0.response?.status }, [200, 200, 101])
        XCTAssertEqual(exchanges[0].request.body, .text(#"{"user":"alice","password":"pw"}"#))
        XCTAssertEqual(exchanges[0].response?.body, .text(login.body))
        XCTAssertEqual(exchanges[1].response?.body, .text(me.body))
        // Headers as the client sent them (Host included), in order.
        let meFields = exchanges[1].request.headers
        XCTAssertEqual(meFields.first("Host"), "127.0.0.1:\(proxy.port)")
        let authIndex = meFields.firstIndex { $0.name == "Authorization" }
        let traceIndex = meFields.firstIndex { $0.name == "X-Trace" }
        XCTAssertNotNil(authIndex)
        XCTAssertLessThan(authIndex ?? 99, traceIndex ?? -1)
        XCTAssertNotNil(exchanges[2].request.headers.first("Sec-WebSocket-Extensions"), "the recording keeps the client's offer")

        // The upstream saw its own Host, and no extension offer.
        let seen = upstream.requests
        XCTAssertEqual(seen.map(\.uri), ["/login", "/api/me", "/ws"])
        for request in seen {
            XCTAssertEqual(request.headers.first { $0.0.lowercased() == "host" }?.1, "127.0.0.1:\(upstream.port)")
        }
        XCTAssertNil(seen[2].headers.first { $0.0.lowercased() == "sec-websocket-extensions" })

        // The WebSocket session: what the client saw, then the close by the server.
        let session = try XCTUnwrap(recording.sessions.first { $0.websocket != nil })
        XCTAssertEqual(session.server, Endpoint(host: "127.0.0.1", port: UInt16(upstream.port)))
        XCTAssertEqual(session.client.host, "127.0.0.1")
        let websocket = try XCTUnwrap(session.websocket)
        XCTAssertNil(websocket.extensions)
        let serverTexts = websocket.messages.filter { $0.direction == .server && $0.opcode == .text }.compactMap(\.payload.text)
        XCTAssertEqual(serverTexts, ws.texts)
        XCTAssertEqual(websocket.close?.frame.direction, .server)
        XCTAssertEqual(websocket.close?.code, 1008)
        XCTAssertEqual(websocket.close?.frame.closeReason, "policy violation")
        XCTAssertTrue(websocket.messages.contains { $0.direction == .client && $0.opcode == .close }, "the client's close is recorded too")
        XCTAssertEqual(session.end?.kind, .closed)
        XCTAssertEqual(session.anomalies, [])

        // Times are offsets from capturedAt and grow.
        let times = exchanges.map(\.request.at)
        XCTAssertEqual(times, times.sorted())
        XCTAssertTrue(times.allSatisfy { $0 >= 0 && $0 < 60 })

        // Auth: the token issued by /login is presented to /api/me and to /ws.
        let findings = recording.sessions.flatMap(\.auth)
        XCTAssertTrue(findings.contains { $0.role == .issued })
        XCTAssertGreaterThanOrEqual(findings.filter { $0.role == .presented && $0.issuedBy != nil }.count, 2)
    }

    func testTheWrittenFileDecodesToTheSameRecording() async throws {
        let pki = try TestPKI.shared()
        let upstream = try await ProxyTestUpstream.start(tls: true)
        let proxy = try await startProxy(upstreamPort: upstream.port, tls: .init(caFile: pki.caFile))
        _ = try await send(.POST, "http://127.0.0.1:\(proxy.port)/login", body: "{}")
        let recording = try await proxy.stop()
        await upstream.stop()

        let path = NSTemporaryDirectory() + "proxy-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try RecordingFileWriter(path: path, source: recording.source)
        try writer.write(recording.sessions, capturedAt: recording.capturedAt)
        try writer.commit(capturedAt: recording.capturedAt)
        let decoded = try RecordingCodec.decode(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        XCTAssertEqual(decoded, recording)
        XCTAssertEqual(decoded.sessions.first?.end?.kind, .cut, "the client's pooled connection was still open at stop")
    }

    func testAnUnreachableUpstreamIsAnswered502AndRecorded() async throws {
        let port = try closedPort()
        let proxy = try await startProxy(upstreamPort: port, scheme: .http, tls: .init())
        let answer = try await send(.GET, "http://127.0.0.1:\(proxy.port)/api/me")
        XCTAssertEqual(answer.status, 502)
        let body = try JSONParser.parse(Array(answer.body.utf8))
        XCTAssertEqual(body["error"], .string("upstream_unreachable"))
        XCTAssertTrue(body["detail"]?.stringValue?.contains("127.0.0.1:\(port)") ?? false, answer.body)

        // The proxy closes the connection after the 502.
        try await eventually { proxy.recording().sessions.first?.end != nil }
        let recording = try await proxy.stop()
        let session = try XCTUnwrap(recording.sessions.first)
        XCTAssertEqual(session.end?.kind, .closed)
        XCTAssertEqual(session.exchanges.first?.response?.status, 502)
        XCTAssertEqual(session.exchanges.first?.response?.body, .text(answer.body))
        XCTAssertEqual(session.anomalies.map(\.kind), [.upstreamError])
    }

    func testWithoutTheCAFileTLSVerificationFailsWith502AndInsecureSkipsIt() async throws {
        let upstream = try await ProxyTestUpstream.start(tls: true)
        let strict = try await startProxy(upstreamPort: upstream.port, tls: .init())
        let refused = try await send(.POST, "http://127.0.0.1:\(strict.port)/login", body: "{}")
        XCTAssertEqual(refused.status, 502)
        XCTAssertTrue(refused.body.contains("upstream_unreachable"), refused.body)
        XCTAssertTrue(refused.body.contains("TLS"), refused.body)
        try await eventually { strict.recording().sessions.first?.end != nil }
        let recording = try await strict.stop()
        XCTAssertEqual(recording.sessions.flatMap(\.anomalies).map(\.kind), [.upstreamError])
        XCTAssertEqual(upstream.requests.count, 0, "nothing reached the upstream")

        let insecure = try await startProxy(upstreamPort: upstream.port, tls: .init(insecure: true))
        let accepted = try await send(.POST, "http://127.0.0.1:\(insecure.port)/login", body: "{}")
        XCTAssertEqual(accepted.status, 200)
        try await insecure.stop()
        await upstream.stop()
    }

    func testARefusedUpgradeIsForwardedAndRecorded() async throws {
        let pki = try TestPKI.shared()
        let upstream = try await ProxyTestUpstream.start(tls: true)
        let proxy = try await startProxy(upstreamPort: upstream.port, tls: .init(caFile: pki.caFile))
        let outcome = try await webSocket("ws://127.0.0.1:\(proxy.port)/ws", authorization: nil)
        XCTAssertNotNil(outcome.failure, "the upgrade should have been refused")
        try await eventually { proxy.recording().sessions.first?.end != nil }
        let recording = try await proxy.stop()
        await upstream.stop()
        let exchange = try XCTUnwrap(recording.sessions.first?.exchanges.first)
        XCTAssertEqual(exchange.request.target, "/ws")
        XCTAssertEqual(exchange.response?.status, 401)
        XCTAssertEqual(exchange.response?.body, .text(#"{"error":"unauthorized"}"#))
        XCTAssertNil(recording.sessions.first?.websocket)
    }

    func testStopWhileAWebSocketIsOpenRecordsItAsCut() async throws {
        let pki = try TestPKI.shared()
        let upstream = try await ProxyTestUpstream.start(tls: true)
        let proxy = try await startProxy(upstreamPort: upstream.port, tls: .init(caFile: pki.caFile))
        let stopped = Box<Recording?>(nil)
        let outcome = try await webSocket("ws://127.0.0.1:\(proxy.port)/ws-hold", authorization: "Bearer \(ProxyTestUpstream.token)") {
            // Stop from the side, as a signal would, while the session is open.
            Task {
                let recording = try? await proxy.stop()
                stopped.update { $0 = recording }
            }
        }
        XCTAssertEqual(outcome.texts, [ProxyTestUpstream.welcome])
        try await eventually { stopped.value != nil }
        await upstream.stop()
        let recording = try XCTUnwrap(stopped.value)
        let session = try XCTUnwrap(recording.sessions.first)
        XCTAssertEqual(session.end?.kind, .cut)
        XCTAssertEqual(session.websocket?.messages.first?.payload, .text(ProxyTestUpstream.welcome))
        XCTAssertTrue(session.anomalies.contains { $0.kind == .truncated })
    }

    /// A loopback port nothing listens on.
    private func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { throw TestTimeout(seconds: 0) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
