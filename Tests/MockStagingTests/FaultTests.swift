import Foundation
import MockStaging
import NIOCore
import TestSupport
import TrafficModel
import Wire
import XCTest

final class FaultParsingTests: XCTestCase {
    func testTheDocumentedSpecs() throws {
        XCTAssertEqual(try Fault(parsing: "session=s3,after=2,close=1006").action, .close(code: 1006, afterServerMessages: 2))
        XCTAssertEqual(try Fault(parsing: "close=1011").action, .close(code: 1011, afterServerMessages: 0))
        XCTAssertEqual(try Fault(parsing: "delay=500ms").action, .delay(seconds: 0.5))
        XCTAssertEqual(try Fault(parsing: "delay=2s").action, .delay(seconds: 2))
        XCTAssertEqual(try Fault(parsing: "delay=1.5").action, .delay(seconds: 1.5))
        XCTAssertEqual(try Fault(parsing: "drop=server-message-4").action, .drop(serverMessage: 4))
        XCTAssertEqual(try Fault(parsing: "fragment=64").action, .fragment(bytes: 64))
        let status = try Fault(parsing: "session=rec.json#s1, exchange=2, status=503")
        XCTAssertEqual(status.action, .status(503))
        XCTAssertEqual(status.session, "rec.json#s1")
        XCTAssertEqual(status.exchange, 2)
    }

    func testBadSpecsSayWhy() {
        let cases: [(String, String)] = [
            ("session=s3", "no action"),
            ("close=1000,status=503", "one action per --fault"),
            ("close=1005", "never sent"),
            ("close=999", "close takes a close code"),
            ("delay=soon", "a duration"),
            ("delay=-1s", "a duration"),
            ("drop=4", "server-message-N"),
            ("drop=server-message-0", "server-message-N"),
            ("fragment=0", "positive number"),
            ("status=99", "an HTTP status"),
            ("after=2,drop=server-message-1", "after= goes with close="),
            ("colour=red,status=500", "unknown key colour"),
            ("status=500,status=501", "given twice"),
            ("exchange=1,fragment=8", "select HTTP exchanges"),
            ("status", "is not KEY=VALUE"),
        ]
        for (spec, words) in cases {
            XCTAssertThrowsError(try Fault(parsing: spec), spec) { error in
                XCTAssertEqual(error as? MockStagingError, MockStagingError(.invalidFault, ""))
                XCTAssertTrue("\(error)".contains(words), "\(spec): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("--fault \(spec): "), "\(error)")
            }
        }
    }

    func testThePlanScopesBySessionExchangeAndPath() throws {
        let plan = FaultPlan([
            try Fault(parsing: "session=s1,exchange=2,status=503"),
            try Fault(parsing: "path=/auth/token,delay=100ms"),
            try Fault(parsing: "session=s3,drop=server-message-2"),
            try Fault(parsing: "fragment=64"),
            try Fault(parsing: "session=s3,fragment=16"),
            try Fault(parsing: "session=rec.json#s3,after=3,close=1011"),
            try Fault(parsing: "session=s3,after=1,close=1006"),
        ])
        func ref(_ session: String, _ exchange: Int) -> RecordedReference {
            RecordedReference(recording: 0, recordingName: "rec.json", session: session, exchange: exchange)
        }
        XCTAssertEqual(plan.http(ref("s1", 1), path: "/x").status, 503)
        XCTAssertNil(plan.http(ref("s1", 0), path: "/x").status)
        XCTAssertEqual(plan.http(ref("s2", 0), path: "/auth/token").delay, 0.1)
        XCTAssertEqual(plan.http(ref("s2", 0), path: "/auth/token").applied.map(\.spec), ["path=/auth/token,delay=100ms"])
        let ws = plan.webSocket(ref("s3", 0))
        XCTAssertEqual(ws.drop, [2])
        XCTAssertEqual(ws.fragment, 16, "the smaller frame wins")
        XCTAssertEqual(ws.end?.code, 1006, "the earliest end wins")
        XCTAssertEqual(ws.end?.afterServerMessages, 1)
        let other = plan.webSocket(ref("s4", 0))
        XCTAssertEqual(other.fragment, 64)
        XCTAssertNil(other.end)
        XCTAssertTrue(FaultPlan().webSocket(ref("s3", 0)).isEmpty)
    }
}

/// Faults as a client sees them on the wire, and the same bytes every run.
final class FaultWireTests: XCTestCase {
    /// The raw bytes a client gets from a mock with `faults`, over a fixed handshake.
    func bytes(_ faults: [String]) async throws -> [UInt8] {
        var configuration = MockStagingServer.Configuration()
        configuration.faults = FaultPlan(try faults.map { try Fault(parsing: $0) })
        let mock = try await MockStagingServer.start(recordings: [WireRoundTripTests.capture()], configuration: configuration)
        let connection = try await RawConnection.connect(port: mock.port)
        try await connection.send(RawFrames.handshake("/agent", headers: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]))
        try await connection.send(RawFrames.client(2, WireRoundTripTests.binary))
        let ended = await connection.wait { bytes, closed in
            closed || RawFrames.splitHead(bytes).map { RawFrames.parse($0.1).contains { $0.opcode == 8 } } == true
        }
        await connection.close()
        try await mock.stop()
        XCTAssertTrue(ended, "the session ended")
        return connection.received
    }

    func testFragmentAndDropAreOnTheWireAndTheSameEveryRun() async throws {
        let plan = ["fragment=16", "drop=server-message-1"]
        let first = try await bytes(plan)
        let (head, rest) = try XCTUnwrap(RawFrames.splitHead(first))
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101"), head)
        let frames = RawFrames.parse(rest)
        XCTAssertEqual(frames.last?.opcode, 8, "the recorded close still ends it")
        let data = frames.dropLast()
        XCTAssertEqual(data.first?.opcode, 1, "the binary echo (server message 1) was dropped: the text comes first")
        XCTAssertTrue(data.dropFirst().allSatisfy { $0.opcode == 0 })
        XCTAssertTrue(data.allSatisfy { $0.payload.count <= 16 })
        XCTAssertGreaterThan(data.count, 3, "more frames than the recorded three")
        XCTAssertEqual(data.first?.rsv1, true, "still compressed, RSV1 on the first frame only")
        var inflater = PerMessageInflater(noContextTakeover: false)
        XCTAssertEqual(inflater.inflate(data.flatMap(\.payload), limit: 1 << 20).output, Array(WireRoundTripTests.thinking.utf8))
        for _ in 0..<3 {
            let again = try await bytes(plan)
            XCTAssertEqual(again, first, "the same plan gives the same bytes")
        }
    }

    func testCloseAfterNMessagesWithACodeOrWithout() async throws {
        let closed = try await bytes(["after=1,close=1011"])
        let coded = RawFrames.parse(try XCTUnwrap(RawFrames.splitHead(closed)).1)
        XCTAssertEqual(coded.map(\.opcode), [2, 8])
        XCTAssertEqual(Array(coded[1].payload.prefix(2)), [0x03, 0xF3], "1011")
        XCTAssertEqual(String(decoding: coded[1].payload.dropFirst(2), as: UTF8.self), "fault injected")

        let cut = try await bytes(["after=1,close=1006"])
        let frames = RawFrames.parse(try XCTUnwrap(RawFrames.splitHead(cut)).1)
        XCTAssertEqual(frames.map(\.opcode), [2], "one message, then the connection dropped without a close frame")
    }
}
