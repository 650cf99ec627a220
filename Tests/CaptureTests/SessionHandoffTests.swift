import Foundation
import Synchronization
import TestSupport
import CaptureTesting
import TrafficModel
import XCTest

@testable import Capture

/// The handoff between the decoding and the writing thread of a capture run:
/// order, the memory budget, and a writer failure reaching the decoder.
final class SessionHandoffTests: XCTestCase {
    private static func session(_ number: Int, payloadBytes: Int = 0) -> Session {
        var session = Session(id: "s\(number)", client: Endpoint(host: "10.0.0.1", port: 5000), server: Endpoint(host: "10.0.0.2", port: 80), start: 0)
        if payloadBytes > 0 {
            let message = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(String(repeating: "x", count: payloadBytes)), compressed: false)
            session.websocket = WebSocketSession(subprotocol: nil, extensions: nil, messages: [message])
        }
        return session
    }

    func testSessionsArriveInOrderWhenEveryBatchWaitsForTheWriter() {
        // A budget of one byte: every batch waits until the writer took the one before.
        let handoff = SessionHandoff(budget: 1)
        let taken = Mutex<[String]>([])
        let writer = JoinableThread {
            while let batch = handoff.take() { taken.withLock { $0 += batch.sessions.map(\.id) } }
        }
        var expected: [String] = []
        for batch in 0..<300 {
            let sessions = (0..<(batch % 3 + 1)).map { Self.session(batch * 10 + $0) }
            expected += sessions.map(\.id)
            XCTAssertNoThrow(try handoff.put(sessions, capturedAt: Timestamp(seconds: 0)))
        }
        handoff.close()
        writer.join()
        XCTAssertEqual(taken.withLock { $0 }, expected)
    }

    func testPutWaitsWhileTheBudgetIsSpentAndABatchOverTheBudgetGoesThroughAlone() async throws {
        let handoff = SessionHandoff(budget: 10_000)
        // Alone in the queue, a batch larger than the whole budget is accepted at once.
        try handoff.put([Self.session(1, payloadBytes: 50_000)], capturedAt: Timestamp(seconds: 0))
        let secondQueued = Atomic<Bool>(false)
        let producer = JoinableThread {
            try? handoff.put([Self.session(2, payloadBytes: 100)], capturedAt: Timestamp(seconds: 0))
            secondQueued.store(true, ordering: .sequentiallyConsistent)
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertFalse(secondQueued.load(ordering: .sequentiallyConsistent), "put returned while the budget was spent")
        XCTAssertEqual(handoff.take()?.sessions.map(\.id), ["s1"])
        try await eventually { secondQueued.load(ordering: .sequentiallyConsistent) }
        producer.join()
        XCTAssertEqual(handoff.take()?.sessions.map(\.id), ["s2"])
        handoff.close()
        XCTAssertNil(handoff.take())
    }

    func testAWriterFailureIsThrownToTheDecoderAndWakesAWaitingPut() async throws {
        let handoff = SessionHandoff(budget: 10)
        try handoff.put([Self.session(1, payloadBytes: 100)], capturedAt: Timestamp(seconds: 0))
        let thrown = Mutex<String?>(nil)
        let producer = JoinableThread {
            do {
                try handoff.put([Self.session(2)], capturedAt: Timestamp(seconds: 0))
            } catch {
                thrown.withLock { $0 = "\(error)" }
            }
        }
        handoff.fail(CaptureError(.writeFailed, "disk full"))
        producer.join()
        XCTAssertEqual(thrown.withLock { $0 }, "disk full")
        XCTAssertNil(handoff.take(), "after a failure the writer takes nothing more")
    }

    /// A full disk while the writer thread flushes: the run ends with the
    /// write error (no hang between the two threads) and the target is untouched.
    func testAFullDiskEndsTheRunWithTheWriteError() throws {
        try requireOrSkip(getuid() == 0, "mounting a small tmpfs needs root")
        let dir = try CaptureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let mountPoint = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try Self.exitStatus("/bin/mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint.path])
        XCTAssertEqual(mount, 0, "mount tmpfs")
        defer { _ = try? Self.exitStatus("/bin/umount", [mountPoint.path]) }

        // Three WebSocket sessions of 1 MiB each: the writer flushes (and fails) before the end.
        var packets: [CapturedPacket] = []
        for n in 0..<3 {
            var ws = SyntheticConversation(client: ([10, 0, 0, 1], UInt16(40_000 + n)), server: ([10, 0, 0, 2], 80), start: Timestamp(seconds: 1_764_050_400 + Double(n)))
            ws.open()
            ws.send(Array("GET /ws HTTP/1.1\r\nHost: s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8), from: .client)
            ws.send(Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8), from: .server)
            for _ in 0..<16 { ws.send(SyntheticWebSocket.frame(.text, Array(repeating: UInt8(ascii: "a"), count: 64 << 10)), from: .server) }
            ws.close()
            packets += ws.packets
        }
        let capture = dir.appendingPathComponent("big.pcap")
        try Data(CaptureFixtures.pcapFile(packets)).write(to: capture)
        let output = mountPoint.appendingPathComponent("out.json").path

        var source = try PcapFileSource(path: capture.path)
        var processor = CaptureProcessor(linkType: source.linkType)
        let writer = try RecordingFileWriter(path: output, source: Source(kind: .pcapFile, name: "big.pcap", tool: "test"), syncsToDisk: false)
        XCTAssertThrowsError(try CaptureRun.run(source: &source, processor: &processor, writer: writer, redactor: nil, fallbackStart: Timestamp(seconds: 0))) { error in
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "a failed run publishes nothing")
    }

    private static func exitStatus(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
