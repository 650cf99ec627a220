import Foundation
import TestSupport
import CaptureTesting
import TrafficModel
import XCTest
@testable import Capture

/// A WebSocket session with a JWT, captured as traffic mirroring delivers it
/// (VXLAN, Geneve, ERSPAN II and III, IPv4 fragments, mirrored duplicates),
/// records exactly as the plain capture does; only `outerPath` says how it came.
final class TunnelCaptureTests: XCTestCase {
    static let plainPackets = CaptureFixtures.authRequiredPackets()

    func record(_ packets: [CapturedPacket], options: CaptureOptions = CaptureOptions()) -> (Recording, CaptureStatistics) {
        var processor = CaptureProcessor(linkType: .ethernet, options: options)
        var sessions: [Session] = []
        for packet in packets { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        let recording = Recording(
            source: Source(kind: .pcapFile, name: "auth-required.pcap", tool: "authreplay test"),
            capturedAt: processor.capturedAt!, sessions: sessions)
        return (recording, processor.statistics)
    }

    /// The recording with every session's outer path cleared, and the paths seen.
    func withoutOuterPaths(_ recording: Recording) -> (Recording, Set<String?>) {
        var plain = recording
        let paths = Set(plain.sessions.map(\.outerPath))
        for index in plain.sessions.indices { plain.sessions[index].outerPath = nil }
        return (plain, paths)
    }

    func assertSameAsPlain(
        _ packets: [CapturedPacket], outerPath: String?, options: CaptureOptions = CaptureOptions(),
        file: StaticString = #filePath, line: UInt = #line
    ) -> CaptureStatistics {
        let (plain, _) = record(Self.plainPackets)
        let (wrapped, statistics) = record(packets, options: options)
        let (stripped, paths) = withoutOuterPaths(wrapped)
        XCTAssertEqual(stripped, plain, file: file, line: line)
        XCTAssertEqual(RecordingCodec.encode(stripped), RecordingCodec.encode(plain), file: file, line: line)
        XCTAssertEqual(paths, [outerPath], file: file, line: line)
        XCTAssertEqual(wrapped.sessions.count, 2, file: file, line: line)
        XCTAssertEqual(wrapped.sessions.last?.websocket?.messages.count, 3, file: file, line: line)
        XCTAssertFalse(wrapped.sessions.flatMap(\.auth).isEmpty, "the JWT is found", file: file, line: line)
        return statistics
    }

    func testVXLAN() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { _, frame in [SyntheticTunnel.vxlan(frame, vni: 42)] }
        let statistics = assertSameAsPlain(packets, outerPath: "vxlan vni=42")
        XCTAssertEqual(statistics.layerCounts.map(\.layer), ["vxlan"])
        XCTAssertEqual(statistics.layerCounts.first?.packets, Self.plainPackets.count)
    }

    func testVXLANOnAnotherPortNeedsThePort() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { _, frame in [SyntheticTunnel.vxlan(frame, vni: 7, port: 8472)] }
        XCTAssertEqual(record(packets).0.sessions.count, 0, "8472 is not a VXLAN port by default")
        var options = CaptureOptions()
        options.decapsulation.vxlan = [8472]
        _ = assertSameAsPlain(packets, outerPath: "vxlan vni=7", options: options)
    }

    func testGeneveWithOptions() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { index, frame in
            [SyntheticTunnel.geneve(frame, vni: 0x00AB_CDEF, optionWords: index % 5 * 3)]
        }
        _ = assertSameAsPlain(packets, outerPath: "geneve vni=11259375")
    }

    func testERSPANTypeII() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { index, frame in
            [SyntheticTunnel.erspan(frame, type: 2, session: 5, sequence: UInt32(index))]
        }
        _ = assertSameAsPlain(packets, outerPath: "gre > erspan type=2 session=5")
    }

    func testERSPANTypeIII() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { index, frame in
            [SyntheticTunnel.erspan(frame, type: 3, session: 1023, sequence: UInt32(index))]
        }
        _ = assertSameAsPlain(packets, outerPath: "gre > erspan type=3 session=1023")
    }

    func testIPv4FragmentsInAnyOrder() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { index, frame in
            let pieces = SyntheticTunnel.fragments(frame, size: 48, identification: UInt16(index))
            return index % 2 == 0 ? pieces : pieces.reversed()
        }
        XCTAssertGreaterThan(packets.count, Self.plainPackets.count + 20)
        let statistics = assertSameAsPlain(packets, outerPath: nil)
        XCTAssertEqual(statistics.droppedDatagrams, 0)
        XCTAssertGreaterThan(statistics.reassembledDatagrams, 5)
    }

    /// A datagram whose fragments overlap with different bytes is dropped,
    /// never guessed: its session says so, next to the gap it leaves.
    func testInconsistentFragmentsBecomeAnAnomalyOnTheirSession() {
        let plain = Self.plainPackets
        let target = plain.firstIndex { $0.data.count > 300 }!
        let packets = SyntheticTunnel.wrap(plain) { index, frame in
            guard index == target else { return [frame] }
            var pieces = SyntheticTunnel.fragments(frame, size: 64, identification: 99)
            var forged = pieces[1]
            forged[forged.count - 1] ^= 0xFF  // same offset, different last byte
            pieces.insert(forged, at: 2)
            return pieces
        }
        let (recording, statistics) = record(packets)
        // The inconsistent datagram, then the rest of its fragments, which start
        // over and never complete (given up at the end of the capture).
        XCTAssertEqual(statistics.droppedDatagrams, 2)
        let anomalies = recording.sessions.flatMap(\.anomalies)
        let lost = anomalies.filter { $0.kind == .ipFragment }
        XCTAssertEqual(lost.count, 1, "\(anomalies)")
        XCTAssertTrue(lost.first?.detail.contains("overlaps an earlier fragment with different bytes") == true, lost.first?.detail ?? "")
        XCTAssertTrue(anomalies.contains { $0.kind == .gap }, "\(anomalies)")
    }

    /// Mirrored VXLAN whose outer packets the network fragmented (inner MTU 1500 over an outer 1500).
    func testFragmentedVXLAN() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { index, frame in
            SyntheticTunnel.fragments(SyntheticTunnel.vxlan(frame, vni: 42), size: 96, identification: UInt16(index))
        }
        _ = assertSameAsPlain(packets, outerPath: "vxlan vni=42")
    }

    /// Both directions mirrored at two points: every packet arrives twice,
    /// through two VNIs. The copies are dropped and counted.
    func testMirroredDuplicatesAreDroppedAndCounted() {
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { _, frame in
            [SyntheticTunnel.vxlan(frame, vni: 42), SyntheticTunnel.vxlan(frame, vni: 43)]
        }
        let statistics = assertSameAsPlain(packets, outerPath: "vxlan vni=42")
        XCTAssertEqual(statistics.duplicateSegments, Self.plainPackets.count)
        var keepAll = CaptureOptions()
        keepAll.duplicateWindow = 0
        let (_, kept) = record(packets, options: keepAll)
        XCTAssertEqual(kept.duplicateSegments, 0)
    }

    /// The whole path through a pcap file on disk, as `import` reads it.
    func testVXLANCaptureFileImports() throws {
        let dir = try CaptureFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("vxlan.pcap").path
        let packets = SyntheticTunnel.wrap(Self.plainPackets) { _, frame in [SyntheticTunnel.vxlan(frame, vni: 42)] }
        try Data(CaptureFixtures.pcapFile(packets)).write(to: URL(fileURLWithPath: path))
        let source = try PcapFileSource(path: path)
        var processor = CaptureProcessor(linkType: source.linkType)
        var sessions: [Session] = []
        while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        let recording = Recording(source: Source(kind: .pcapFile, name: "x", tool: "t"), capturedAt: processor.capturedAt!, sessions: sessions)
        let encoded = RecordingCodec.encode(recording)
        XCTAssertTrue(encoded.contains(#""outerPath": "vxlan vni=42""#), encoded)
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(recording)), recording)
    }
}
