import Capture
import Foundation
import MockStaging
import NIOCore
import Replay
import TestSupport
import CaptureTesting
import TrafficModel
import WSClient
import WSCompression
import Wire
import XCTest

/// Two messages real services sent that the mock used to get wrong, taken
/// the whole way: a capture → the recording → the mock → a real client (and
/// Replay), byte for byte and frame for frame.
/// - a binary message whose bytes happen to be valid UTF-8 (0x00–0x3F), which
///   the mock compared as text and answered with a 1008;
/// - a compressed message recorded in three fragments, which the mock sent
///   as one frame.
final class WireRoundTripTests: XCTestCase {
    static let binary = (0..<0x40).map { UInt8($0) }
    static let thinking = String(repeating: #"{"type":"agent_thinking","step":1,"note":"still working"}"#, count: 30)
    /// What a permessage-deflate server with zlib's defaults sends for `thinking`, cut into three frames.
    static let compressed = PerMessageDeflater().compress(Array(thinking.utf8))
    static let layout = [compressed.count / 3, compressed.count / 3, compressed.count - 2 * (compressed.count / 3)]

    /// The capture: a client sends the binary message, the server echoes it,
    /// then sends the compressed message in three frames and closes.
    static func capture() -> Recording {
        var tcp = SyntheticConversation(client: ([10, 0, 0, 1], 50_000), server: ([10, 0, 0, 2], 8000), start: Timestamp(seconds: 1_764_050_400))
        tcp.open()
        let handshake = "GET /agent HTTP/1.1\r\nHost: staging\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        tcp.send(Array(handshake.utf8), from: .client)
        let accept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        tcp.send(Array(accept.utf8), from: .server)
        tcp.send(SyntheticWebSocket.frame(.binary, binary, mask: 0x1234_5678), from: .client)
        tcp.send(SyntheticWebSocket.frame(.binary, binary), from: .server)
        var frames: [UInt8] = []
        var offset = 0
        for (index, length) in layout.enumerated() {
            frames += SyntheticWebSocket.frame(
                index == 0 ? .text : .continuation, Array(compressed[offset..<offset + length]),
                fin: index == layout.count - 1, rsv: index == 0 ? 4 : 0
            )
            offset += length
        }
        tcp.send(frames, from: .server)
        tcp.send(SyntheticWebSocket.close(code: 1000, reason: "done"), from: .server)
        tcp.send(SyntheticWebSocket.close(code: 1000, reason: "done", mask: 0x0BAD_F00D), from: .client)
        tcp.close(by: .server)

        var processor = CaptureProcessor(linkType: .ethernet)
        var sessions: [Session] = []
        for packet in tcp.packets { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        return Recording(source: Source(kind: .pcapFile, name: "round-trip.pcap", tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400), sessions: sessions)
    }

    func testTheCaptureRecordsBothMessagesAsSent() throws {
        let messages = try XCTUnwrap(Self.capture().sessions.first?.websocket?.messages)
        XCTAssertEqual(messages[0].payload, .binary(Self.binary))
        XCTAssertEqual(messages[1].payload, .binary(Self.binary))
        XCTAssertEqual(messages[2].payload, .text(Self.thinking))
        XCTAssertTrue(messages[2].compressed)
        XCTAssertEqual(messages[2].frames?.map(\.length), Self.layout)
    }

    func testARealClientGetsBothMessagesByteForByte() async throws {
        let mock = try await MockStagingServer.start(recordings: [Self.capture()])
        let received = Box<[Body]>([])
        let close = try await withDeadline(10) {
            try await WebSocketClient.connect(
                url: "\(mock.baseURL)/agent",
                configuration: WebSocketClientConfiguration(extensions: [.perMessageDeflate(minFrameSizeToCompress: 1 << 20)], closeTimeout: .seconds(3)),
                logger: Clients.logger
            ) { inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: Self.binary)))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    switch message {
                    case .binary(let buffer): received.update { $0.append(.binary(Array(buffer.readableBytesView))) }
                    case .text(let text): received.update { $0.append(.text(text)) }
                    }
                }
            }
        }
        try await mock.stop()
        XCTAssertEqual(received.value, [.binary(Self.binary), .text(Self.thinking)])
        XCTAssertEqual(close?.closeCode, .normalClosure, "the binary message matched: no 1008")
        XCTAssertEqual(close?.reason, "done")
    }

    func testTheMockSendsTheRecordedFramesOnTheWire() async throws {
        let mock = try await MockStagingServer.start(recordings: [Self.capture()])
        let connection = try await RawConnection.connect(port: mock.port)
        try await connection.send(RawFrames.handshake("/agent", headers: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]))
        try await connection.send(RawFrames.client(2, Self.binary))
        let gotAll = await connection.wait { bytes, _ in
            guard let (_, rest) = RawFrames.splitHead(bytes) else { return false }
            return RawFrames.parse(rest).contains { $0.opcode == 8 }
        }
        await connection.close()
        try await mock.stop()
        XCTAssertTrue(gotAll, "no close frame from the mock")
        let (head, rest) = try XCTUnwrap(RawFrames.splitHead(connection.received))
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101"), head)
        let frames = RawFrames.parse(rest)
        XCTAssertEqual(frames.map { $0.opcode }, [2, 1, 0, 0, 8])
        XCTAssertEqual(frames[0].payload, Self.binary)
        XCTAssertEqual(frames[1...3].map { $0.payload.count }, Self.layout)
        XCTAssertEqual(frames[1...3].map { $0.rsv1 }, [true, false, false])
        XCTAssertEqual(frames[1...3].flatMap { $0.payload }, Self.compressed, "the same compressed bytes as recorded")
    }

    func testReplayAgainstTheMockPasses() async throws {
        let recording = Self.capture()
        let mock = try await MockStagingServer.start(recordings: [recording])
        let target = try ReplayTarget(url: mock.baseURL)
        let plan = try ReplayPlan.build([.init(name: "round-trip.json", recording: recording)], target: target)
        let report = await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
        try await mock.stop()
        XCTAssertEqual(report.summaryLine, "1 passed, 0 failed", report.lines.joined(separator: "\n"))
    }
}
