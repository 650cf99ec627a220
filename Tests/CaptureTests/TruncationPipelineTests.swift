import Foundation
import TrafficModel
import XCTest

@testable import Capture

/// The two-session auth-required capture cut at every byte offset and run
/// through the whole import pipeline (libpcap file source, processor,
/// redaction, streaming writer, commit), as `authreplay import` does (issue 8).
final class TruncationPipelineTests: XCTestCase {
    struct Run {
        var recording: Recording
        var outcome: CaptureOutcome
    }

    let redactor = Redactor()

    func importFile(_ bytes: [UInt8], in directory: URL, name: String) throws -> Run? {
        let input = directory.appendingPathComponent("\(name).pcap").path
        let output = directory.appendingPathComponent("\(name).json").path
        _ = FileManager.default.createFile(atPath: input, contents: Data(bytes))
        defer {
            try? FileManager.default.removeItem(atPath: input)
            try? FileManager.default.removeItem(atPath: output)
        }
        guard var source = try? PcapFileSource(path: input) else { return nil }
        var processor = CaptureProcessor(linkType: source.linkType)
        let writer = try RecordingFileWriter(path: output, source: Source(kind: .pcapFile, name: name, tool: "test"))
        let outcome = try CaptureRun.run(
            source: &source, processor: &processor, writer: writer, redactor: redactor, fallbackStart: CaptureFixtures.start
        )
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: output)))
        return Run(recording: recording, outcome: outcome)
    }

    func testEveryByteOffsetKeepsWhatCameBeforeTheCut() throws {
        let packets = CaptureFixtures.authRequiredPackets()
        let file = CaptureFixtures.pcapFile(packets)
        var recordEnds: [Int] = []
        var offset = 24
        for packet in packets {
            offset += 16 + packet.data.count
            recordEnds.append(offset)
        }
        XCTAssertEqual(recordEnds.last, file.count)
        let loginPackets = packets.firstIndex { $0.timestamp > packets[0].timestamp.adding(seconds: 0.4) }!

        // Every run fsyncs its output: in memory (/dev/shm) that costs nothing.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let directory = base.appendingPathComponent("authreplay-truncation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try XCTUnwrap(try importFile(file, in: directory, name: "full")).recording
        XCTAssertEqual(full.sessions.count, 2)

        var unreadable = 0
        for cut in 0..<file.count {
            guard let run = try importFile(Array(file.prefix(cut)), in: directory, name: "cut") else {
                // Only a cut inside the 24-byte global header makes the file unreadable.
                XCTAssertLessThan(cut, 24, "cut \(cut): the file should open")
                unreadable += 1
                continue
            }
            let whole = recordEnds.prefix { $0 <= cut }.count
            let atBoundary = cut == 24 || recordEnds.contains(cut)
            XCTAssertEqual(run.outcome.isComplete, atBoundary, "cut \(cut): truncation is reported exactly when a packet is cut")
            XCTAssertEqual(run.outcome.statistics.packets, whole, "cut \(cut)")
            let sessions = run.recording.sessions
            XCTAssertLessThanOrEqual(sessions.count, 2, "cut \(cut)")
            for session in sessions {
                let original = try XCTUnwrap(full.sessions.first { $0.client == session.client }, "cut \(cut): unknown session")
                XCTAssertLessThanOrEqual(session.exchanges.count, original.exchanges.count, "cut \(cut)")
                XCTAssertLessThanOrEqual(session.websocket?.messages.count ?? 0, original.websocket?.messages.count ?? 0, "cut \(cut)")
                for (got, expected) in zip(session.websocket?.messages ?? [], original.websocket?.messages ?? []) {
                    XCTAssertEqual(got.payload, expected.payload, "cut \(cut): a kept message is whole")
                }
                if session.end?.kind == .cut && !atBoundary {
                    XCTAssertTrue(session.anomalies.contains { $0.kind == .truncated }, "cut \(cut): an open session is marked truncated")
                }
            }
            if whole >= loginPackets {
                // The login connection ended before the cut: it is there, exactly as in the full import.
                XCTAssertEqual(sessions.first, full.sessions[0], "cut \(cut)")
            }
            if cut == file.count - 1 {
                XCTAssertEqual(sessions.count, 2)
            }
        }
        XCTAssertEqual(unreadable, 24)
    }
}
