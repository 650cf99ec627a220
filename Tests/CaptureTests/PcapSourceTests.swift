import Foundation
import TestSupport
import CaptureTesting
import TrafficModel
import XCTest

@testable import Capture

/// PcapFileSource over captures built in the test with PcapFileWriter (cut at every
/// offset), plus public pcapng and 802.11 captures from ../shared/captures (see `Corpus`).
final class PcapSourceTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "PcapSourceTests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Fixtures

    /// Writes `bytes` to a fresh file in the temp directory and returns its path.
    func write(_ bytes: [UInt8], name: String = "capture.pcap") -> String {
        let path = directory + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)), path)
        return path
    }

    static let client: [UInt8] = [10, 0, 0, 1]
    static let server: [UInt8] = [10, 0, 0, 2]

    /// Six frames: HTTP (port 80) both ways, HTTPS (443), and an ARP frame.
    static func packets() -> [CapturedPacket] {
        let frames: [[UInt8]] = [
            SyntheticPacket.ethernetIPv4TCP(
                src: client, dst: server, srcPort: 40000, dstPort: 80, seq: 1, flags: .syn),
            SyntheticPacket.ethernetIPv4TCP(
                src: server, dst: client, srcPort: 80, dstPort: 40000, seq: 9, ack: 2, flags: [.syn, .ack]),
            SyntheticPacket.ethernetIPv4TCP(
                src: client, dst: server, srcPort: 40001, dstPort: 443, seq: 5, flags: .syn),
            // ARP request: not IP at all.
            [UInt8](repeating: 0xFF, count: 6) + [2, 0, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 0, count: 28),
            SyntheticPacket.ethernetIPv4TCP(
                src: client, dst: server, srcPort: 40000, dstPort: 80, seq: 2, ack: 10, flags: [.psh, .ack],
                payload: Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)),
            SyntheticPacket.ethernetIPv4TCP(
                src: server, dst: client, srcPort: 80, dstPort: 40000, seq: 10, ack: 29, flags: [.psh, .ack],
                payload: Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)),
        ]
        return frames.enumerated().map { index, frame in
            // Fractions that catch a seconds/microseconds mix-up.
            CapturedPacket(
                timestamp: Timestamp(microseconds: 1_700_000_000_000_000 + Int64(index) * 1_250_001),
                data: frame, number: index + 1)
        }
    }

    static func file(_ packets: [CapturedPacket] = packets()) -> [UInt8] {
        PcapFileWriter.file(linkType: 1, packets: packets)
    }

    /// Reads everything; returns the packets and the error that ended the read, if any.
    static func drain(_ source: PcapFileSource) -> ([CapturedPacket], CaptureError?) {
        var packets: [CapturedPacket] = []
        for _ in 0..<10_000 {
            do {
                guard let packet = try source.next() else { return (packets, nil) }
                packets.append(packet)
            } catch {
                return (packets, error)
            }
        }
        XCTFail("source did not end")
        return (packets, nil)
    }

    func openError(_ path: String, filter: String? = nil) -> CaptureError? {
        do {
            _ = try PcapFileSource(path: path, filter: filter)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Reading back

    func testReadsBackWhatWasWritten() throws {
        let expected = Self.packets()
        let path = write(Self.file(expected))
        let source = try PcapFileSource(path: path)
        XCTAssertEqual(source.linkType, .ethernet)
        XCTAssertEqual(source.name, path)
        XCTAssertEqual(source.format, .pcap)
        XCTAssertNil(source.statistics())
        let (packets, error) = Self.drain(source)
        XCTAssertNil(error)
        XCTAssertEqual(packets, expected)
        XCTAssertEqual(packets.map(\.timestamp.microseconds).last, 1_700_000_006_250_005)
        XCTAssertNil(try source.next(), "stays at the end")
    }

    func testSnaplenCutFrameKeepsWireLength() throws {
        var packet = Self.packets()[4]
        packet.wireLength = packet.data.count
        packet.data = Array(packet.data.prefix(40))
        packet.capturedLength = 40
        let source = try PcapFileSource(path: write(Self.file([packet])))
        let read = try XCTUnwrap(try source.next())
        XCTAssertEqual(read.capturedLength, 40)
        XCTAssertEqual(read.wireLength, packet.wireLength)
        XCTAssertEqual(read.data, packet.data)
    }

    func testNanosecondPcapIsScaledToMicroseconds() throws {
        var bytes = Self.file([Self.packets()[0]])
        bytes.replaceSubrange(0..<4, with: [0x4D, 0x3C, 0xB2, 0xA1])  // a1b23c4d little-endian
        // The record's fraction field now holds nanoseconds.
        let nanos: UInt32 = 123_456_789
        bytes.replaceSubrange(28..<32, with: (0..<4).map { UInt8(truncatingIfNeeded: nanos >> (8 * $0)) })
        let source = try PcapFileSource(path: write(bytes))
        XCTAssertEqual(source.format, .pcapNanosecond)
        let packet = try XCTUnwrap(try source.next())
        XCTAssertEqual(packet.timestamp.microseconds % 1_000_000, 123_456)
    }

    func testFilterKeepsMatchingPacketsWithFileNumbers() throws {
        let path = write(Self.file())
        let source = try PcapFileSource(path: path, filter: "tcp port 80")
        let (packets, error) = Self.drain(source)
        XCTAssertNil(error)
        XCTAssertEqual(packets.map(\.number), [1, 2, 5, 6], "numbers are positions in the file, as in Wireshark")
        XCTAssertEqual(packets, Self.packets().filter { [1, 2, 5, 6].contains($0.number) })
        for packet in packets {
            guard case .tcp(let segment) = try PacketDecoder.decode(packet.data, linkType: source.linkType) else {
                return XCTFail("packet \(packet.number) is not TCP")
            }
            XCTAssertTrue(segment.source.port == 80 || segment.destination.port == 80)
        }
        let arp = try PcapFileSource(path: path, filter: "arp")
        XCTAssertEqual(Self.drain(arp).0.map(\.number), [4])
    }

    func testBadFilterNamesTheExpression() {
        let path = write(Self.file())
        let error = openError(path, filter: "tcp port eighty and")
        XCTAssertEqual(error?.code, .badFilter)
        XCTAssertTrue(error?.reason.contains("'tcp port eighty and'") == true, error?.reason ?? "")
        XCTAssertTrue(error?.reason.contains(path) == true)
    }

    // MARK: Not a capture

    func testNonexistentFile() {
        let path = directory + "/missing.pcap"
        let error = openError(path)
        XCTAssertEqual(error?.code, .cannotOpen)
        XCTAssertEqual(error?.reason, "\(path): cannot open: No such file or directory")
    }

    func testDirectoryIsNotReadable() {
        let error = openError(directory)
        XCTAssertEqual(error?.code, .cannotOpen)
        XCTAssertTrue(error?.reason.hasPrefix(directory) == true, error?.reason ?? "")
    }

    func testTextFileNamesItsMagic() {
        let path = write(Array("HTTP/1.1 200 OK\r\n\r\n".utf8), name: "response.txt")
        let error = openError(path)
        XCTAssertEqual(error?.code, .notACapture)
        XCTAssertEqual(error?.reason, "\(path): not a pcap or pcapng file (magic 0x48545450 \"HTTP\")")
        let binary = openError(write([0x1F, 0x8B, 0x08, 0x00, 1, 2, 3], name: "capture.pcap.gz"))
        XCTAssertEqual(binary?.code, .notACapture)
        XCTAssertTrue(binary?.reason.contains("(gzip-compressed, but the data does not decompress: ") == true, binary?.reason ?? "")
    }

    func testEmptyFile() {
        let path = write([], name: "empty.pcap")
        let error = openError(path)
        XCTAssertEqual(error?.code, .notACapture)
        XCTAssertEqual(error?.reason, "\(path): not a pcap or pcapng file (the file is empty)")
    }

    // MARK: Truncation and damage

    /// Cuts of the file: in the global header the open fails with a message
    /// naming the file; elsewhere every whole packet comes back, then `.truncatedFile`
    /// naming the packet and where its record starts (or a clean end at a boundary).
    func testTruncatedAtManyOffsets() throws {
        let expected = Self.packets()
        let full = Self.file(expected)
        var recordStarts: [Int] = [24]
        for packet in expected { recordStarts.append(recordStarts.last! + 16 + packet.data.count) }
        XCTAssertEqual(recordStarts.last, full.count)

        // Every offset of the global header; in each record its first byte, inside its
        // header, the first data byte, the middle and the last byte.
        var cuts = Set(0..<24)
        for (start, end) in zip(recordStarts, recordStarts.dropFirst()) {
            cuts.formUnion([start, start + 1, start + 8, start + 15, start + 16, start + 17, (start + end) / 2, end - 1])
        }
        for cut in cuts.sorted() {
            let path = write(Array(full.prefix(cut)), name: "cut-\(cut).pcap")
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard cut >= 24 else {
                let error = openError(path)
                switch cut {
                case 0: XCTAssertEqual(error?.code, .notACapture, "cut \(cut)")
                case 1..<4:
                    XCTAssertEqual(error?.code, .notACapture, "cut \(cut)")
                    XCTAssertTrue(error?.reason.hasSuffix("only \(cut) bytes long)") == true, error?.reason ?? "")
                default:
                    XCTAssertEqual(error?.code, .cannotOpen, "cut \(cut)")
                    XCTAssertTrue(error?.reason.hasPrefix("\(path): cannot open pcap file: ") == true, error?.reason ?? "")
                    XCTAssertTrue(error?.reason.contains("truncated") == true, error?.reason ?? "")
                }
                continue
            }
            let source = try PcapFileSource(path: path)
            let (packets, error) = Self.drain(source)
            let whole = recordStarts.lastIndex { $0 <= cut }!
            XCTAssertEqual(packets, Array(expected.prefix(whole)), "cut \(cut)")
            if recordStarts.contains(cut) {
                XCTAssertNil(error, "cut \(cut) is at a record boundary")
            } else {
                XCTAssertEqual(error?.code, .truncatedFile, "cut \(cut)")
                let reason = error?.reason ?? ""
                XCTAssertTrue(
                    reason.hasPrefix("\(path): file ends inside packet \(whole + 1) (record at byte offset \(recordStarts[whole])): "),
                    "cut \(cut): \(reason)")
            }
            XCTAssertNil(try source.next(), "cut \(cut): nil after the end or the error")
        }
    }

    /// A record header claiming gigabytes: libpcap refuses it; that is a clean `.readError`.
    func testAbsurdCapturedLengthIsAReadError() throws {
        var bytes = Self.file(Array(Self.packets().prefix(2)))
        let start = bytes.count
        bytes += Self.file([Self.packets()[2]]).dropFirst(24)
        bytes.replaceSubrange((start + 8)..<(start + 12), with: [0xF0, 0xFF, 0xFF, 0x7F])
        let path = write(bytes)
        let source = try PcapFileSource(path: path)
        let (packets, error) = Self.drain(source)
        XCTAssertEqual(packets.count, 2)
        XCTAssertEqual(error?.code, .readError, error?.reason ?? "")
        XCTAssertTrue(
            error?.reason.hasPrefix("\(path): cannot read packet 3 (record at byte offset \(start)): ") == true,
            error?.reason ?? "")
        XCTAssertNil(try source.next())
    }

    /// Lengths above the snaplen but within libpcap's own bound reach our limit.
    func testCapturedLengthAboveLimitIsAReadError() throws {
        let big = CapturedPacket(
            timestamp: Timestamp(microseconds: 5), data: [UInt8](repeating: 0xAB, count: 9000), number: 2)
        let path = write(PcapFileWriter.file(linkType: 1, packets: [Self.packets()[0], big]))
        let fits = try PcapFileSource(path: path)
        XCTAssertEqual(Self.drain(fits).0.last?.data.count, 9000)

        let limited = try PcapFileSource(path: path, maximumCapturedLength: 1500)
        let (packets, error) = Self.drain(limited)
        XCTAssertEqual(packets.count, 1)
        XCTAssertEqual(error?.code, .readError)
        XCTAssertTrue(error?.reason.contains("packet 2") == true, error?.reason ?? "")
        XCTAssertTrue(error?.reason.contains("captured length 9000 exceeds the limit of 1500") == true)
    }

    // MARK: Public captures

    func capture(_ name: String) throws -> String {
        try Corpus.requireCapture(name)
    }

    func testPcapngFilesOpenAndYieldPackets() throws {
        for (name, count) in [("ndpi_http_asymmetric.pcapng", 23), ("zeek_pcapng-multi-interface.pcapng", 6)] {
            let source = try PcapFileSource(path: try capture(name))
            XCTAssertEqual(source.format, .pcapng)
            XCTAssertEqual(source.linkType, .ethernet)
            let (packets, error) = Self.drain(source)
            XCTAssertNil(error, name)
            XCTAssertEqual(packets.count, count, name)
            XCTAssertEqual(packets.map(\.number), Array(1...count))
            XCTAssertEqual(packets.map(\.timestamp), packets.map(\.timestamp).sorted(), name)
            XCTAssertTrue(packets.allSatisfy { $0.data.count == $0.capturedLength })
        }
        let http = try PcapFileSource(path: try capture("ndpi_http_asymmetric.pcapng"), filter: "tcp[tcpflags] & tcp-syn != 0")
        let first = try XCTUnwrap(try http.next())
        guard case .tcp(let syn) = try PacketDecoder.decode(first.data, linkType: .ethernet) else {
            return XCTFail("first packet is not TCP")
        }
        XCTAssertTrue(syn.flags.contains(.syn))
        XCTAssertEqual(syn.destination.description, "10.10.10.1:80")
        XCTAssertEqual(first.timestamp.microseconds % 1_000_000, 394_414)
    }

    func testTruncatedPcapngNamesThePacketOnly() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try capture("ndpi_http_asymmetric.pcapng"))))
        let path = write(Array(bytes.prefix(bytes.count / 2)), name: "half.pcapng")
        let (packets, error) = Self.drain(try PcapFileSource(path: path))
        XCTAssertGreaterThan(packets.count, 0)
        XCTAssertEqual(error?.code, .truncatedFile)
        XCTAssertTrue(
            error?.reason.hasPrefix("\(path): file ends inside packet \(packets.count + 1): ") == true,
            error?.reason ?? "")
    }

    func testRadiotapIsUnsupportedLinkType() throws {
        let path = try capture("arkime_80211-radiotap-http.pcap")
        let error = openError(path)
        XCTAssertEqual(error?.code, .unsupportedLinkType)
        XCTAssertTrue(error?.reason.hasPrefix("\(path): link type 127 (IEEE802_11_RADIO)") == true, error?.reason ?? "")
    }

    /// Cross-check against the independent classic-pcap reader in TCPCaptureTests.
    func testAgreesWithTheMinimalReaderOnPublicPcaps() throws {
        let names = try Corpus.captureNames(endingIn: [".pcap"])
        var compared = 0
        for name in names {
            let path = Corpus.capture(name)
            guard let reference = TCPCaptureTests.readPcap(path), (try? LinkType(dlt: reference.dlt)) != nil else {
                continue
            }
            let (packets, error) = Self.drain(try PcapFileSource(path: path))
            XCTAssertNil(error, name)
            XCTAssertEqual(packets.map(\.data), reference.packets.map(\.bytes), name)
            XCTAssertEqual(packets.map(\.timestamp), reference.packets.map(\.time), name)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
    }

    // MARK: Synthetic frames

    func testSyntheticPacketDecodes() throws {
        let payload = [UInt8](repeating: 0x5A, count: 1000)
        let frame = SyntheticPacket.ethernetIPv4TCP(
            src: [192, 168, 1, 2], dst: [192, 168, 1, 3], srcPort: 5555, dstPort: 80, seq: 0xFFFF_FFF0,
            ack: 7, flags: [.psh, .ack], window: 1024, payload: payload)
        XCTAssertEqual(frame.count, 14 + 20 + 20 + 1000)
        XCTAssertEqual(Int(frame[16]) << 8 | Int(frame[17]), 1040, "IPv4 total length")
        guard case .tcp(let segment) = try PacketDecoder.decode(frame, linkType: .ethernet) else {
            return XCTFail("not TCP")
        }
        XCTAssertEqual(segment.source.description, "192.168.1.2:5555")
        XCTAssertEqual(segment.destination.description, "192.168.1.3:80")
        XCTAssertEqual(segment.sequence, 0xFFFF_FFF0)
        XCTAssertEqual(segment.acknowledgment, 7)
        XCTAssertEqual(segment.flags, [.psh, .ack])
        XCTAssertEqual(segment.window, 1024)
        XCTAssertEqual(Array(segment.payload), payload)
        XCTAssertEqual(segment.missingBytes, 0)
    }

    func testWriterHeaderLayout() {
        XCTAssertEqual(
            PcapFileWriter.header(linkType: 113, snaplen: 65535),
            [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 113, 0, 0, 0])
        let record = PcapFileWriter.record(
            CapturedPacket(timestamp: Timestamp(microseconds: 3_000_042), capturedLength: 2, wireLength: 60, data: [1, 2], number: 1))
        XCTAssertEqual(record, [3, 0, 0, 0, 42, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 1, 2])
    }
}
