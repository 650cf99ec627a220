import Foundation
import CaptureTesting
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// Gzip-compressed captures read like plain ones, through zlib as a stream.
final class GzipCaptureTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "GzipCaptureTests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// gzip(1) is in every Debian system (an Essential package).
    func gzip(_ bytes: [UInt8], name: String) throws -> String {
        let plain = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: plain))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-f", plain]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return plain + ".gz"
    }

    func packets(from source: PcapFileSource) throws -> [CapturedPacket] {
        var out: [CapturedPacket] = []
        while let packet = try source.next() { out.append(packet) }
        return out
    }

    func testCompressedFileReadsAsThePlainOne() throws {
        let packets = CaptureFixtures.authRequiredPackets()
        let path = try gzip(CaptureFixtures.pcapFile(packets), name: "auth.pcap")
        let source = try PcapFileSource(path: path)
        XCTAssertTrue(source.isCompressed)
        XCTAssertEqual(source.format, .pcap)
        XCTAssertEqual(try self.packets(from: source).map(\.data), packets.map(\.data))
    }

    /// A compressed file cut short: every whole packet before the cut, then a
    /// truncation error naming the gzip data.
    func testTruncatedCompressedFileKeepsWhatCameBefore() throws {
        let packets = CaptureFixtures.authRequiredPackets()
        let path = try gzip(CaptureFixtures.pcapFile(packets), name: "cut.pcap")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        let source = try PcapFileSource(path: path)
        var read = 0
        XCTAssertThrowsError(try { while try source.next() != nil { read += 1 } }()) { error in
            XCTAssertEqual((error as? CaptureError)?.code, .truncatedFile, "\(error)")
        }
        XCTAssertGreaterThan(read, 0)
        XCTAssertLessThan(read, packets.count)
        XCTAssertNil(try source.next())
    }

    /// A reader that stops early (an interrupted import) ends the decompressing thread.
    func testClosingEarlyEndsTheDecompression() throws {
        var packets: [CapturedPacket] = []
        for round in 0..<40 {
            packets += CaptureFixtures.authRequiredPackets().map { var p = $0; p.timestamp = p.timestamp.adding(seconds: Double(round)); return p }
        }
        let path = try gzip(CaptureFixtures.pcapFile(packets), name: "big.pcap")
        for _ in 0..<20 {
            let source = try PcapFileSource(path: path)
            XCTAssertNotNil(try source.next())
        }  // each deinit joins its thread: a leak or a hang fails here
    }

    /// zeek's 1000-request trace ships compressed, as tshark reads it.
    func testZeekCompressedTraceImports() throws {
        let path = try Corpus.requireCapture("corpus-2/zeek_1000-requests-one-dropped-response.pcap.gz")
        let source = try PcapFileSource(path: path)
        var processor = CaptureProcessor(linkType: source.linkType)
        var sessions: [Session] = []
        while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        XCTAssertEqual(sessions.reduce(0) { $0 + $1.exchanges.count }, 1000)
        XCTAssertEqual(processor.statistics.packets, 4102)
    }
}
