import AsyncHTTPClient
import Capture
import ExampleStagingService
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport
import TrafficModel
import WSClient
import XCTest

/// The shipped recordings under recordings/ are captured, not written: each
/// scenario runs a real client against the example staging service while
/// libpcap captures `lo`, and the result is redacted like `authreplay
/// capture` does. This test captures every scenario afresh and checks the
/// shipped file tells the same story (same exchanges, statuses, WebSocket
/// message types and close codes; timestamps, ids and TCP teardown differ).
/// `scripts/record-examples.sh` (AUTHREPLAY_RECORD_EXAMPLES=1) rewrites them.
final class ShippedRecordingsCaptureTests: XCTestCase {
    struct Scenario {
        var file: String
        var authFailure: StagingService.AuthFailure = .errorFrame
        var regression: StagingService.Regression?
        var client: @Sendable (Int) async throws -> Void
    }

    static let repositoryRoot = Corpus.packageRoot

    static let scenarios: [Scenario] = [
        Scenario(file: "login-and-websocket.json") { port in
            let token = try await Client.login(port)
            _ = try await Client.get(port, "/api/me", token: token)
            try await Client.webSocket(port, token: token, send: [#"{"type":"user_message","content":"hello"}"#], until: "agent_completed")
        },
        Scenario(file: "websocket-without-token.json") { port in
            try await Client.webSocket(port, token: nil, send: [], until: nil)
        },
        Scenario(file: "user-context-regression.json", regression: .userContext) { port in
            let token = try await Client.login(port)
            try await Client.webSocket(port, token: token, send: [], until: nil)
        },
        Scenario(file: "unauthorized-before-upgrade.json", authFailure: .httpUnauthorized) { port in
            try? await Client.webSocket(port, token: nil, send: [], until: nil)
        },
        Scenario(file: "expired-token.json") { port in
            let expired = StagingService.mintToken(issuedAt: Int(Date().timeIntervalSince1970) - 7200, lifetime: 3600)
            try await Client.webSocket(port, token: expired, send: [], until: nil)
        },
    ]

    func testShippedRecordingsAreWhatTheServiceDoes() async throws {
        try requireOrSkip(getuid() == 0, "live capture on lo needs root")
        let update = ProcessInfo.processInfo.environment["AUTHREPLAY_RECORD_EXAMPLES"] == "1"
        for scenario in Self.scenarios {
            let path = "\(Self.repositoryRoot)/recordings/\(scenario.file)"
            let recording = try await capture(scenario)
            if update {
                try Data(RecordingCodec.encodeBytes(recording)).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            let shipped = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(Self.story(recording), Self.story(shipped), scenario.file)
            XCTAssertEqual(SecretLinter().lint(recording).map(\.description), [], scenario.file)
        }
    }

    /// What a recording says, without what changes run to run.
    static func story(_ recording: Recording) -> [String] {
        recording.sessions.sorted { $0.start < $1.start }.flatMap { session -> [String] in
            var lines = session.exchanges.map { "\($0.request.method) \($0.request.path) → \($0.response?.status ?? 0)" }
            for message in session.websocket?.messages ?? [] {
                var line = "\(message.direction.rawValue) \(message.opcode.rawValue)"
                if let text = message.payload.text, let json = try? JSONParser.parse(text), let type = json["type"]?.stringValue { line += " \(type)" }
                if let error = message.payload.text.flatMap({ try? JSONParser.parse($0) })?["details"]?["error"]?.stringValue { line += " (\(error))" }
                if let code = message.closeCode { line += " \(code)" }
                lines.append(line)
            }
            // How TCP ended (FIN, or RST from a client library) is timing, not story.
            return lines
        }
    }

    /// Captures the scenario's client against the service; stops once the
    /// capture has read everything the client exchanged (see `marker`).
    func capture(_ scenario: Scenario) async throws -> Recording {
        let service = try await StagingService.start(configuration: .init(authFailure: scenario.authFailure, regression: scenario.regression))
        let port = service.port
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port \(port)")
        let clientPorts = Box<Set<UInt16>>([])
        let capturing = Task.detached { () -> (Timestamp?, [Session]) in
            var processor = CaptureProcessor(linkType: source.linkType)
            var sessions: [Session] = []
            while let packet = try source.next() {
                sessions += processor.process(packet.data, at: packet.timestamp)
                if let port = tcpSourcePort(packet.data) { clientPorts.update { $0.insert(port) } }
            }
            sessions += processor.finish(truncated: false)
            return (processor.capturedAt, sessions)
        }
        do {
            try await scenario.client(port)
            // Stop once the capture has seen the marker connection, opened after
            // the client is done: it has read every earlier packet then. (The
            // comparison with the shipped recording says what is missing if not.)
            let marker = try await Self.marker(port: port)
            try? await eventually(5) { clientPorts.value.contains(marker) }
        } catch {
            source.stop()
            _ = try? await capturing.value
            try await service.stop()
            throw error
        }
        source.stop()
        let (capturedAt, sessions) = try await capturing.value
        try await service.stop()
        let raw = Recording(
            source: Source(kind: .live, name: "lo (example staging service, \(scenario.file))", tool: "authreplay \(0)"),
            capturedAt: try XCTUnwrap(capturedAt), sessions: sessions
        )
        var redacted = Redactor().redact(raw).0
        redacted.source.tool = "authreplay (scripts/record-examples.sh)"
        return redacted
    }
}

extension ShippedRecordingsCaptureTests {
    /// Opens and closes a connection to `port` without sending data (so it
    /// makes no session); its local port, to find its packets in the capture.
    /// Packets on lo reach the capture in the order they were sent: once it
    /// has seen this connection, it has read everything before it, including
    /// a connection the client left open (a refused upgrade), which has no
    /// end to wait for.
    static func marker(port: Int) async throws -> UInt16 {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        let local = try XCTUnwrap(channel.localAddress?.port)
        try await channel.close()
        return UInt16(local)
    }
}

/// The TCP source port of an IPv4 packet on lo (Ethernet framing, as libpcap gives lo on Linux).
private func tcpSourcePort(_ frame: [UInt8]) -> UInt16? {
    guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
    let tcp = 14 + Int(frame[14] & 0x0F) * 4
    guard frame.count >= tcp + 2 else { return nil }
    return UInt16(frame[tcp]) << 8 | UInt16(frame[tcp + 1])
}

/// The scripted client: AsyncHTTPClient and swift-websocket's client.
private enum Client {
    static func login(_ port: Int) async throws -> String {
        let body = #"{"username":"alice","password":"correct-horse-battery"}"#
        let answer = try await request(port, .POST, "/auth/token", token: nil, body: body)
        return try XCTUnwrap(JSONParser.parse(answer)["access_token"]?.stringValue)
    }

    static func get(_ port: Int, _ path: String, token: String?) async throws -> String {
        try await request(port, .GET, path, token: token, body: nil)
    }

    static func request(_ port: Int, _ method: HTTPMethod, _ path: String, token: String?, body: String?) async throws -> String {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        try await http.shutdown()
        return String(buffer: bytes)
    }

    /// Opens /ws, sends `send` after the first server message, and closes
    /// (1000) once a message of type `until` arrives; nil waits for the server's close.
    static func webSocket(_ port: Int, token: String?, send: [String], until: String?) async throws {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        let headers = fields
        _ = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)/ws",
            configuration: WebSocketClientConfiguration(additionalHeaders: headers, closeTimeout: .seconds(3)),
            logger: Logger(label: "shipped-recordings")
        ) { inbound, outbound, _ in
            var sent = false
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if !sent {
                    sent = true
                    for m in send { try await outbound.write(.text(m)) }
                }
                if let until, text.contains("\"\(until)\"") {
                    try await outbound.close(.normalClosure, reason: "done")
                    return
                }
            }
        }
    }
}
