import Foundation
import MockStaging
import NIOCore
import NIOWebSocket
import Wire
@testable import Replay
import Synchronization
import TrafficModel
import XCTest

/// permessage-deflate (RFC 7692) on replay: offered when the recorded server
/// accepted it, client messages recorded compressed sent compressed, server
/// messages with RSV1 inflated within the size limit; a target that declines
/// is a difference in the handshake, the messages still compared uncompressed.
final class ReplayDeflateTests: XCTestCase {
    static let motd = String(repeating: "welcome to the news room ", count: 20)
    static let established = #"{"type":"connection_established","motd":"\#(motd)"}"#
    static let subscribe = #"{"type":"subscribe","channel":"news","motd":"\#(motd)"}"#
    static let subscribed = #"{"type":"subscribed","channel":"news","motd":"\#(motd)"}"#
    static let plain = #"{"type":"plain","n":1}"#
    static let bye = #"{"type":"bye"}"#

    /// A session recorded with permessage-deflate: every data message
    /// compressed except `plain`, which the recorded server sent uncompressed.
    /// `accepted: nil` is the same session recorded without the extension.
    static func recording(offer: String? = "permessage-deflate; client_max_window_bits", accepted: String? = "permessage-deflate; client_max_window_bits=10") -> Recording {
        func message(_ direction: Direction, _ at: Double, _ text: String, compressed: Bool = true) -> WebSocketMessage {
            WebSocketMessage(direction: direction, at: at, opcode: .text, payload: .text(text), compressed: compressed && accepted != nil)
        }
        var request = [
            HeaderField("Host", "news.example.com"), HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
            HeaderField("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), HeaderField("Sec-WebSocket-Version", "13"),
        ]
        if let offer { request.append(HeaderField("Sec-WebSocket-Extensions", offer)) }
        var response = [HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"), HeaderField("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")]
        if let accepted { response.append(HeaderField("Sec-WebSocket-Extensions", accepted)) }
        let session = Session(
            id: "z1", client: Endpoint(host: "10.20.0.5", port: 51900), server: Endpoint(host: "10.20.0.9", port: 8000), start: 1,
            exchanges: [HTTPExchange(
                request: HTTPRequest(at: 1.0, method: "GET", target: "/live", headers: request),
                response: HTTPResponse(at: 1.01, status: 101, reason: "Switching Protocols", headers: response)
            )],
            websocket: WebSocketSession(extensions: accepted, messages: [
                message(.server, 1.02, established),
                message(.client, 1.5, subscribe),
                message(.server, 1.51, subscribed),
                message(.server, 1.52, plain, compressed: false),
                message(.client, 2.0, bye),
                WebSocketMessage(direction: .server, at: 2.01, opcode: .close, payload: .text("done"), closeCode: 1000),
                WebSocketMessage(direction: .client, at: 2.02, opcode: .close, payload: .text("done"), closeCode: 1000),
            ]),
            end: SessionEnd(kind: .closed, at: 2.03, by: .server)
        )
        return Recording(source: Source(kind: .handWritten, name: "compressed", tool: "tests"), capturedAt: StagingRecordings.capturedAt, sessions: [session])
    }

    /// Replays `recording()` against the mock serving `served`.
    func replay(serving served: Recording, maxMessageSize: Int = ReplayOptions.defaultMaxMessageSize) async throws -> (ReplayReport, [String]) {
        let lines = LogLines()
        let mock = try await MockStagingServer.start(
            recordings: [served], configuration: .init(port: 0, log: { line in lines.append(line) })
        )
        do {
            let target = try ReplayTarget(url: mock.baseURL)
            let plan = try ReplayPlan.build([.init(name: "compressed.json", recording: Self.recording())], target: target)
            let options = ReplayOptions(target: target, timeout: 5, maxMessageSize: maxMessageSize)
            let report = await ReplayDriver().run(plan, options: options, now: Date().timeIntervalSince1970)
            try await mock.stop()
            return (report, lines.all)
        } catch {
            try? await mock.stop()
            throw error
        }
    }

    func testACompressedSessionPassesAgainstTheMockWithTheExtensionNegotiated() async throws {
        let (report, log) = try await replay(serving: Self.recording())
        XCTAssertEqual(report.summaryLine, "1 passed, 0 failed", report.lines.joined(separator: "\n"))
        // The mock agreed on the recorded answer to the recorded offer, and its
        // inflater accepted the compressed client messages (it fails with 1007 otherwise).
        XCTAssertTrue(log.contains { $0.hasSuffix("permessage-deflate; client_max_window_bits=10") }, log.joined(separator: "\n"))
    }

    func testATargetThatDeclinesTheExtensionIsOneHandshakeDifferenceAndTheMessagesStillMatch() async throws {
        // The same server recorded without the extension: it never accepts it.
        let (report, log) = try await replay(serving: Self.recording(accepted: nil))
        XCTAssertEqual(report.summaryLine, "0 passed, 1 failed", report.lines.joined(separator: "\n"))
        XCTAssertEqual(report.results[0].differences, [#"handshake (GET /live): header Sec-WebSocket-Extensions expected "permessage-deflate", got none"#])
        XCTAssertFalse(log.contains { $0.contains("permessage-deflate") }, log.joined(separator: "\n"))
    }

    func testTheMaxMessageSizeAppliesToTheInflatedSize() async throws {
        // `established` is ~530 bytes inflated and far less on the wire.
        let (report, _) = try await replay(serving: Self.recording(), maxMessageSize: 200)
        XCTAssertEqual(report.results.map(\.verdict), [.failed])
        let differences = report.results[0].differences
        XCTAssertTrue(differences.first?.hasPrefix("websocket: server message refused (a client closes with 1009): decompression bomb / message over limit: inflating stopped at the 200-byte limit") ?? false, differences.joined(separator: "\n"))
    }

    func testATargetAcceptingAnExtensionThatWasNotOfferedFailsTheSession() async throws {
        let server = try await TestStagingServer.start(.acceptsDeflateUnasked)
        defer { Task { await server.stop() } }
        let target = try ReplayTarget(url: server.url)
        let plan = try ReplayPlan.build([.init(name: "staging.json", recording: StagingRecordings.loginThenWebSocket)], target: target)
        let report = await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
        XCTAssertEqual(report.results.map(\.verdict), [.passed, .failed], report.lines.joined(separator: "\n"))
        XCTAssertEqual(report.results[1].differences, [
            #"handshake (GET /ws): header Sec-WebSocket-Extensions new "permessage-deflate""#,
            "handshake (GET /ws): the target accepted permessage-deflate, which was not offered (RFC 6455 §9.1)",
        ])
    }

    // MARK: - Pure parts

    func testTheOfferIsTheRecordedOneOnlyWhenTheRecordedServerAcceptedIt() throws {
        func offer(_ recording: Recording) throws -> HeaderField? {
            let plan = try ReplayPlan.build([.init(name: "r", recording: recording)], target: ReplayTarget(host: "127.0.0.1", port: 1))
            guard case .webSocket(let step) = try XCTUnwrap(plan.sessions.first?.steps.first) else {
                XCTFail("the plan's first step is not a WebSocket step")
                return nil
            }
            return step.deflateOffer
        }
        XCTAssertEqual(try offer(Self.recording()), HeaderField("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))
        XCTAssertNil(try offer(Self.recording(accepted: nil)))
        // Another extension in the offer could be accepted and not understood: the standard offer instead.
        XCTAssertEqual(
            try offer(Self.recording(offer: "permessage-deflate, x-webkit-deflate-frame"))?.value, WebSocketStep.standardDeflateOffer
        )
        XCTAssertEqual(try offer(Self.recording(offer: nil))?.value, WebSocketStep.standardDeflateOffer)
        // A recorded acceptance a client must reject is not asked for again.
        XCTAssertNil(try offer(Self.recording(accepted: "permessage-deflate; server_max_window_bits=20")))
    }

    func testTheExtensionIsComparedByName() {
        let comparator = ResponseComparator()
        func response(_ extensions: String?) -> HTTPResponse {
            HTTPResponse(at: 0, status: 101, reason: "Switching Protocols", headers: extensions.map { [HeaderField("Sec-WebSocket-Extensions", $0)] } ?? [])
        }
        XCTAssertEqual(comparator.compare(expected: response("permessage-deflate; client_max_window_bits=10"), actual: response("permessage-deflate")), [])
        XCTAssertEqual(comparator.compare(expected: response(nil), actual: response("permessage-deflate")), [#"header Sec-WebSocket-Extensions new "permessage-deflate""#])
    }

    func testCompressedClientMessagesGoOutWithRSV1AndInflateBack() {
        let deflater = PerMessageDeflater(windowBits: 10)
        let message = WebSocketMessage(direction: .client, at: 0, opcode: .text, payload: .text(Self.subscribe), compressed: true)
        let frames = ReplayConnection.frames(for: message, deflater: deflater)
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].rsv1)
        XCTAssertNotNil(frames[0].maskKey)
        let wire = Array(frames[0].data.readableBytesView)
        XCTAssertLessThan(wire.count, Self.subscribe.utf8.count)
        var inflater = PerMessageInflater(noContextTakeover: false)
        let (inflated, outcome) = inflater.inflate(wire, limit: 1 << 20)
        XCTAssertEqual(outcome, .complete)
        XCTAssertEqual(String(decoding: inflated, as: UTF8.self), Self.subscribe)

        // Without an agreement, and for control frames, nothing is compressed.
        XCTAssertFalse(ReplayConnection.frames(for: message, deflater: nil)[0].rsv1)
        XCTAssertEqual(Array(ReplayConnection.frames(for: message, deflater: nil)[0].data.readableBytesView), Array(Self.subscribe.utf8))
        let close = WebSocketMessage(direction: .client, at: 0, opcode: .close, payload: .text("bye"), closeCode: 1000, compressed: true)
        XCTAssertFalse(ReplayConnection.frames(for: close, deflater: deflater)[0].rsv1)
    }
}

final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
