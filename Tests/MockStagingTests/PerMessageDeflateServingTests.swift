import MockStaging
import Wire
import TestSupport
import TrafficModel
import WSClient
import WSCompression
import XCTest

/// permessage-deflate (RFC 7692) in the mock: negotiated only when recorded
/// and offered, recorded-compressed messages sent with RSV1, compressed client
/// messages inflated within the size limit.
final class PerMessageDeflateServingTests: XCTestCase {
    static let motd = String(repeating: "welcome to the news room ", count: 20)
    static let established = #"{"type":"connection_established","motd":"\#(motd)"}"#
    static let subscribe = #"{"type":"subscribe","channel":"news"}"#
    static let subscribed = #"{"type":"subscribed","channel":"news","motd":"\#(motd)"}"#
    static let plain = #"{"type":"plain","n":1}"#
    static let bye = #"{"type":"bye"}"#

    /// A session recorded with permessage-deflate: every message compressed
    /// except `plain`, which the recorded server sent uncompressed.
    static func recording(extensions: String = "permessage-deflate; client_max_window_bits=10") -> Recording {
        var upgraded = TestRecordings.switching
        upgraded.at = 1.01
        upgraded.headers.append(HeaderField("Sec-WebSocket-Extensions", extensions))
        func compressed(_ message: TrafficModel.WebSocketMessage) -> TrafficModel.WebSocketMessage {
            var message = message
            message.compressed = true
            return message
        }
        let messages = [
            compressed(TestRecordings.server(1.02, established)),
            compressed(TestRecordings.client(1.5, subscribe)),
            compressed(TestRecordings.server(1.51, subscribed)),
            TestRecordings.server(1.52, plain),
            compressed(TestRecordings.client(2.0, bye)),
            TestRecordings.close(.server, 2.01, 1000, "done"),
            TestRecordings.close(.client, 2.02, 1000, "done"),
        ]
        let ws = HTTPExchange(
            request: TestRecordings.request(1.0, "GET", "/live", headers: TestRecordings.upgradeHeaders + [
                HeaderField("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
            ]),
            response: upgraded
        )
        return Recording(
            source: Source(kind: .handWritten, name: "compressed", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [TestRecordings.session("z1", start: 1, [ws], websocket: WebSocketSession(extensions: extensions, messages: messages))]
        )
    }

    private let logLines = Box<[String]>([])

    private func start(_ recording: Recording = recording(), maxMessageSize: Int = 1 << 20) async throws -> MockStagingServer {
        let lines = logLines
        return try await MockStagingServer.start(
            recordings: [recording], configuration: .init(port: 0, maxMessageSize: maxMessageSize, log: { line in lines.update { $0.append(line) } })
        )
    }

    private static func extensionsHeader(_ head: String) -> String? {
        head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-extensions:") }
            .map { String($0.dropFirst("sec-websocket-extensions:".count)).trimmingCharacters(in: .whitespaces) }
    }

    // MARK: - Negotiation (pure)

    func testOffersAreParsedInOrderAndInvalidOnesAreLeftOut() {
        XCTAssertEqual(
            PerMessageDeflateOffer.offers(fromRequestHeader: "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=9, x-webkit-deflate-frame"),
            [PerMessageDeflateOffer(clientMaxWindowBitsAllowed: true), PerMessageDeflateOffer(serverMaxWindowBits: 9)]
        )
        XCTAssertEqual(
            PerMessageDeflateOffer.offers(fromRequestHeader: #"permessage-deflate; foo=1, permessage-deflate; client_max_window_bits="12"; server_no_context_takeover"#),
            [PerMessageDeflateOffer(serverNoContextTakeover: true, clientMaxWindowBits: 12)]
        )
        for invalid in ["permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=16",
                        "permessage-deflate; client_no_context_takeover=1", "permessage-deflate; client_max_window_bits=7",
                        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"] {
            XCTAssertEqual(PerMessageDeflateOffer.offers(fromRequestHeader: invalid), [], invalid)
        }
        XCTAssertEqual(PerMessageDeflateOffer.offers(fromRequestHeader: nil), [])
    }

    func testTheAnswerKeepsTheRecordedParametersOnlyWhereTheOfferAllowsThem() {
        let recorded = PerMessageDeflateParameters(
            serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10
        )
        // A bare offer allows no window parameter; the no-context-takeover ones are always allowed.
        let bare = PerMessageDeflateOffer().accepted(preferring: recorded)
        XCTAssertEqual(bare.header, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        XCTAssertEqual(bare.parameters, PerMessageDeflateParameters(serverNoContextTakeover: true, clientNoContextTakeover: true))

        let limited = PerMessageDeflateOffer(serverMaxWindowBits: 10, clientMaxWindowBitsAllowed: true).accepted(preferring: recorded)
        XCTAssertEqual(limited.header, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10")
        XCTAssertEqual(PerMessageDeflateOffer(serverMaxWindowBits: 14).accepted(preferring: recorded).parameters.serverMaxWindowBits, 12)
        XCTAssertEqual(PerMessageDeflateOffer(clientMaxWindowBits: 9).accepted(preferring: recorded).header,
                       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9")

        // What the client asks of the server is honoured even if the recording did not have it.
        let asked = PerMessageDeflateOffer(serverNoContextTakeover: true, serverMaxWindowBits: 8).accepted(preferring: PerMessageDeflateParameters())
        XCTAssertEqual(asked.header, "permessage-deflate; server_no_context_takeover; server_max_window_bits=8")
        XCTAssertFalse(asked.serverCanCompress, "zlib cannot deflate with an 8-bit window: send uncompressed")
    }

    // MARK: - A real client

    func testWSClientWithPermessageDeflateGetsEveryMessageAndItsCompressedRepliesMatch() async throws {
        let server = try await start()
        let texts = Box<[String]>([])
        let close = try await withDeadline(10) {
            try await WebSocketClient.connect(
                url: "\(server.baseURL)/live",
                configuration: WebSocketClientConfiguration(
                    extensions: [.perMessageDeflate(minFrameSizeToCompress: 0)], closeTimeout: .seconds(3)
                ),
                logger: Clients.logger
            ) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    texts.update { $0.append(text) }
                    if text == Self.established { try await outbound.write(.text(Self.subscribe)) }
                    if text == Self.plain { try await outbound.write(.text(Self.bye)) }
                }
            }
        }
        XCTAssertEqual(texts.value, [Self.established, Self.subscribed, Self.plain])
        XCTAssertEqual(close?.closeCode, .normalClosure)
        XCTAssertEqual(close?.reason, "done")
        // WSClient offers a bare "permessage-deflate": no window parameter may come back.
        XCTAssertTrue(logLines.value.contains { $0.hasSuffix("upgraded, 8 steps, permessage-deflate") }, "\(logLines.value)")
        let journal = server.journal
        XCTAssertFalse(journal.contains { if case .webSocketMismatch = $0 { return true } else { return false } }, "\(journal)")
        try await server.stop()
    }

    // MARK: - On the wire

    /// Runs the whole compressed session over a raw socket and returns every byte the mock sent.
    private func compressedSession(port: Int, offer: String) async throws -> [UInt8] {
        let connection = try await RawConnection.connect(port: port)
        try await connection.send(RawFrames.handshake("/live", headers: ["Sec-WebSocket-Extensions: \(offer)"]))
        let clientDeflater = PerMessageDeflater(windowBits: 10)
        var inflater = PerMessageInflater(noContextTakeover: false)
        func frames() -> [RawFrames.Frame] { RawFrames.parse(RawFrames.splitHead(connection.received)?.rest ?? []) }

        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 1 }
        let head = try XCTUnwrap(RawFrames.splitHead(connection.received)?.head)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101"), head)
        XCTAssertEqual(Self.extensionsHeader(head), "permessage-deflate; client_max_window_bits=10")

        let first = try XCTUnwrap(frames().first)
        XCTAssertTrue(first.rsv1, "a message recorded compressed is sent with RSV1")
        XCTAssertLessThan(first.payload.count, Self.established.utf8.count)
        XCTAssertEqual(String(decoding: inflater.inflate(first.payload, limit: 1 << 20).output, as: UTF8.self), Self.established)

        try await connection.send(RawFrames.client(1, clientDeflater.compress(Array(Self.subscribe.utf8)), rsv1: true))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 3 }
        let sent = frames()
        XCTAssertEqual(sent.count, 3, "the compressed subscribe was inflated and matched")
        guard sent.count == 3 else { return connection.received }
        XCTAssertTrue(sent[1].rsv1)
        // The server keeps its context (no server_no_context_takeover): inflate in order.
        XCTAssertEqual(String(decoding: inflater.inflate(sent[1].payload, limit: 1 << 20).output, as: UTF8.self), Self.subscribed)
        XCTAssertFalse(sent[2].rsv1, "a message recorded uncompressed is sent uncompressed")
        XCTAssertEqual(sent[2].text, Self.plain)

        // The client keeps its context too: this message may refer back to the first.
        try await connection.send(RawFrames.client(1, clientDeflater.compress(Array(Self.bye.utf8)), rsv1: true))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 4 }
        XCTAssertEqual(frames().last?.closeCode, 1000)
        XCTAssertEqual(frames().last?.rsv1, false)
        try await connection.send(RawFrames.close(1000, "done"))
        return await connection.readToEnd()
    }

    func testNegotiatedHeaderRSV1OnCompressedServerMessagesAndSameBytesEveryRun() async throws {
        let server = try await start()
        let offer = "permessage-deflate; client_max_window_bits, permessage-deflate"
        let first = try await compressedSession(port: server.port, offer: offer)
        server.reset()
        let second = try await compressedSession(port: server.port, offer: offer)
        XCTAssertFalse(first.isEmpty)
        XCTAssertEqual(first, second, "same recording, same offer: same bytes on the wire")
        try await server.stop()
    }

    func testAClientWithoutTheOfferGetsNoExtensionAndUncompressedFrames() async throws {
        let server = try await start()
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/live"))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 1 }
        try await connection.send(RawFrames.text(Self.subscribe))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 3 }
        let (head, rest) = try XCTUnwrap(RawFrames.splitHead(connection.received))
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101"), head)
        XCTAssertNil(Self.extensionsHeader(head))
        let frames = RawFrames.parse(rest)
        XCTAssertEqual(frames.map(\.text), [Self.established, Self.subscribed, Self.plain])
        XCTAssertEqual(frames.map(\.rsv1), [false, false, false])

        // RSV1 without the extension is a protocol error.
        try await connection.send(RawFrames.client(1, PerMessageDeflater().compress(Array(Self.bye.utf8)), rsv1: true))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 4 }
        XCTAssertEqual(RawFrames.parse(RawFrames.splitHead(connection.received)?.rest ?? []).last?.closeCode, 1002)
        await connection.close()
        try await server.stop()
    }

    func testTheClientsOfferLimitsTheAnswerAndTheServerCompressesWithinIt() async throws {
        let server = try await start(Self.recording(extensions: "permessage-deflate; server_max_window_bits=12"))
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/live", headers: ["Sec-WebSocket-Extensions: x-unknown, permessage-deflate; server_max_window_bits=9; server_no_context_takeover"]))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 1 }
        let (head, rest) = try XCTUnwrap(RawFrames.splitHead(connection.received))
        XCTAssertEqual(Self.extensionsHeader(head), "permessage-deflate; server_no_context_takeover; server_max_window_bits=9")
        let frame = try XCTUnwrap(RawFrames.parse(rest).first)
        XCTAssertTrue(frame.rsv1)
        var inflater = PerMessageInflater(noContextTakeover: true)
        XCTAssertEqual(String(decoding: inflater.inflate(frame.payload, limit: 1 << 20).output, as: UTF8.self), Self.established)
        await connection.close()
        try await server.stop()
    }

    func testADecompressionBombClosesWith1009() async throws {
        let server = try await start(maxMessageSize: 4096)
        let connection = try await RawConnection.connect(port: server.port)
        try await connection.send(RawFrames.handshake("/live", headers: ["Sec-WebSocket-Extensions: permessage-deflate"]))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).count >= 1 }
        let bomb = PerMessageDeflater(level: 9).compress([UInt8](repeating: 0x61, count: 1 << 20))
        XCTAssertLessThan(bomb.count, 4096, "the frame itself is within the limit")
        try await connection.send(RawFrames.client(1, bomb, rsv1: true))
        await connection.wait { bytes, _ in RawFrames.parse(RawFrames.splitHead(bytes)?.rest ?? []).contains { $0.opcode == 8 } }
        let close = RawFrames.parse(RawFrames.splitHead(connection.received)?.rest ?? []).first { $0.opcode == 8 }
        XCTAssertEqual(close?.closeCode, 1009)
        XCTAssertTrue(close?.closeReason.hasPrefix("decompression bomb / message over limit: inflating stopped at the 4096-byte limit") ?? false, close?.closeReason ?? "no close")
        await connection.close()
        try await server.stop()
    }
}
