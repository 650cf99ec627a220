import Foundation
import TestSupport
import XCTest

/// `serve --fault` as a real client sees it: Python's `websockets` and
/// http.client (Tests/Peers/python/fault_client.py) against the mock serving
/// the shipped login-and-websocket recording.
final class FaultInjectionTests: XCTestCase {
    struct Event: Decodable, Equatable {
        var http: String?
        var status: Int?
        var open: Bool?
        var message: Int?
        var type: String?
        var frames: [Int]?
        var after: Double?
        var close: Int?
        var reason: String?
    }

    /// The client's events against a mock with `faults`, and the mock's journal lines.
    func run(_ faults: [String]) async throws -> (events: [Event], log: String) {
        let probe = await runToEnd(["python3", "-c", "import websockets.asyncio.client"], timeout: 30)
        try requireOrSkip(probe.status == 0, "the fault client needs python3 with websockets (pip install websockets): \(probe.stderr)")
        guard let authreplay = ServerProcess.executable("authreplay") else {
            throw missingRequirement("the authreplay executable is not built next to the tests")
        }
        let mock = try await DifferentialTests.startAuthreplay(
            authreplay, ["serve", Corpus.packageRoot + "/recordings/login-and-websocket.json", "--port", "0"] + faults.flatMap { ["--fault", $0] }
        )
        let base = try XCTUnwrap(mock.baseURL)
        let output = await runToEnd(["python3", Corpus.packageRoot + "/Tests/Peers/python/fault_client.py", "--base", base], timeout: 60)
        _ = try await mock.stop()
        let log = String(decoding: mock.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(output.status, 0, output.stderr)
        let events = try output.stdout.split(separator: "\n").map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
        return (events, log)
    }

    var messages: (([Event]) -> [String]) { { $0.compactMap(\.type) } }

    func testWithoutFaultsTheClientGetsTheRecordedSession() async throws {
        let (events, _) = try await run([])
        XCTAssertEqual(messages(events), ["connection_established", "agent_started", "agent_thinking", "tool_executing", "agent_completed"])
        XCTAssertEqual(events.last?.close, 1000)
    }

    func testCutWithoutACloseFrameAfterTwoMessages() async throws {
        let (events, log) = try await run(["session=s3,after=2,close=1006"])
        XCTAssertEqual(messages(events), ["connection_established", "agent_started"])
        XCTAssertEqual(events.last?.close, 1006, "no close frame: the client reports 1006")
        XCTAssertTrue(log.contains("fault session=s3,after=2,close=1006 on"), log)
    }

    func testCloseWithACode() async throws {
        let (events, _) = try await run(["session=s3,after=1,close=1011"])
        XCTAssertEqual(messages(events), ["connection_established"])
        XCTAssertEqual(events.last?.close, 1011)
        XCTAssertEqual(events.last?.reason, "fault injected")
    }

    func testDropOneServerMessage() async throws {
        let (events, log) = try await run(["session=s3,drop=server-message-3"])
        XCTAssertEqual(messages(events), ["connection_established", "agent_started", "tool_executing", "agent_completed"])
        XCTAssertTrue(log.contains("fault drop=server-message-3 on"), log)
    }

    func testFragmentEveryMessage() async throws {
        let (events, log) = try await run(["fragment=16"])
        let received = events.filter { $0.type != nil }
        XCTAssertEqual(received.count, 5)
        for event in received {
            let frames = try XCTUnwrap(event.frames)
            XCTAssertGreaterThan(frames.count, 1)
            XCTAssertTrue(frames.allSatisfy { $0 <= 16 }, "\(frames)")
        }
        XCTAssertTrue(log.contains("fault fragment=16 on"), log)
    }

    func testAStatusInPlaceOfTheLogin() async throws {
        let (events, log) = try await run(["path=/auth/token,status=503"])
        XCTAssertEqual(events, [Event(http: "POST /auth/token", status: 503)])
        XCTAssertTrue(log.contains("fault path=/auth/token,status=503 on"), log)
    }

    /// A lower bound only: a loaded machine may add time, never remove it.
    func testDelayHoldsEveryServerMessage() async throws {
        let (events, _) = try await run(["session=s3,delay=300ms"])
        let received = events.filter { $0.type != nil }
        XCTAssertEqual(received.count, 5)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(received[0].after), 0.3)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(received[4].after), 1.2, "each of the four after the client's message waited 300 ms more")
    }
}
