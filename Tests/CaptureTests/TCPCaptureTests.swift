import TestSupport
import XCTest
import TrafficModel
@testable import Capture

/// Decoding and reassembly over the public captures in ../shared/captures
/// (skipped when absent, failed under CI=true). A minimal classic-pcap reader lives here; pcapng
/// files are left to the file reader's own tests.
final class TCPCaptureTests: XCTestCase {
    struct Capture {
        var dlt: Int32
        var packets: [(time: Timestamp, bytes: [UInt8])]
    }

    /// Classic pcap, either byte order, micro- or nanosecond timestamps; nil for anything else.
    static func readPcap(_ path: String) -> Capture? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 24 else { return nil }
        let bytes = [UInt8](data)
        func u32(_ o: Int, _ little: Bool) -> UInt32 {
            let b = bytes[o..<(o + 4)].map(UInt32.init)
            return little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }
        let little: Bool, nano: Bool
        switch u32(0, true) {
        case 0xA1B2_C3D4: (little, nano) = (true, false)
        case 0xA1B2_3C4D: (little, nano) = (true, true)
        case 0xD4C3_B2A1: (little, nano) = (false, false)
        case 0x4D3C_B2A1: (little, nano) = (false, true)
        default: return nil
        }
        var capture = Capture(dlt: Int32(bitPattern: u32(20, little) & 0x0FFF_FFFF), packets: [])
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = Int64(u32(offset, little)), fraction = Int64(u32(offset + 4, little))
            let length = Int(u32(offset + 8, little))
            guard offset + 16 + length <= bytes.count else { break }
            let time = Timestamp(microseconds: seconds * 1_000_000 + (nano ? fraction / 1000 : fraction))
            capture.packets.append((time, Array(bytes[(offset + 16)..<(offset + 16 + length)])))
            offset += 16 + length
        }
        return capture
    }

    /// A public capture the test names: skipped when absent (failed under CI); one
    /// this reader cannot read fails the test.
    static func requirePcap(_ name: String) throws -> Capture {
        try XCTUnwrap(readPcap(try Corpus.requireCapture(name)), "\(name) is not a classic pcap")
    }

    struct Outcome {
        var decodeErrors: [String] = []
        var transcript = Transcript()
        var fragments = 0
    }

    static func reassemble(_ capture: Capture, link: LinkType) -> Outcome {
        var outcome = Outcome()
        var reassembler = TCPReassembler()
        for (index, packet) in capture.packets.enumerated() {
            do {
                switch try PacketDecoder.decode(packet.bytes, linkType: link) {
                case .tcp(let segment): outcome.transcript.add(reassembler.process(segment, at: packet.time))
                case .ipFragment: outcome.fragments += 1
                case .notTCP: break
                }
            } catch {
                outcome.decodeErrors.append("packet \(index + 1): \(error)")
            }
            if index % 16 == 0 { outcome.transcript.add(reassembler.flushIdle(now: packet.time)) }
        }
        outcome.transcript.add(reassembler.finish())
        return outcome
    }

    func testEveryClassicCaptureDecodesAndEveryConnectionCloses() throws {
        var checked = 0
        for name in try Corpus.captureNames(endingIn: [".pcap"]) {
            guard let capture = Self.readPcap(Corpus.capture(name)) else { continue }
            let link: LinkType
            do {
                link = try LinkType(dlt: capture.dlt)
            } catch {
                XCTAssertTrue([127, 239].contains(capture.dlt), "\(name): \(error)")
                continue
            }
            let outcome = Self.reassemble(capture, link: link)
            XCTAssertEqual(outcome.decodeErrors, [], name)
            // ICMP only.
            let withoutTCP = ["zeek_linux_dlt_sll2.pcap"]
            XCTAssertEqual(outcome.transcript.order.isEmpty, withoutTCP.contains(name), name)
            XCTAssertEqual(Set(outcome.transcript.closed.keys), Set(outcome.transcript.order), name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 30)
    }

    func testUnsupportedLinkTypesAreNamed() throws {
        for (name, reason) in [
            ("arkime_80211-radiotap-http.pcap", "link type 127 (IEEE802_11_RADIO)"),
            ("zeek_nflog-http.pcap", "link type 239 (NFLOG)"),
        ] {
            let capture = try Self.requirePcap(name)
            XCTAssertThrowsError(try LinkType(dlt: capture.dlt)) {
                XCTAssertTrue(String(describing: $0).hasPrefix(reason), "\($0)")
            }
        }
    }

    /// Per link type, the client stream starts with the HTTP request line.
    func testLinkTypesCarryHTTP() throws {
        let expectations: [(String, LinkType, Int, String)] = [
            ("suricata_http_sll2.pcap", .linuxSLL2, 1, "GET "),
            ("suricata_websocket-ping_sll.pcap", .linuxSLL, 2, ""),
            ("zeek_http-qinq.pcap", .ethernet, 1, "GET "),
            ("zeek_http-vlan.pcap", .ethernet, 1, "GET "),
            ("arkime_twovlan.pcap", .ethernet, 1, ""),
            ("suricata_pppoe-session-http.pcap", .ethernet, 1, "GET "),
            ("zeek_http_basic-auth-colon_rawip.pcap", .ipv4, 1, "GET "),
            ("suricata_http-ipv6_null.pcap", .null, 1, "GET "),
            ("suricata_http-auth-bearer_null.pcap", .null, 1, "GET "),
            ("zeek_ws_wstunnel-ssh.pcap", .ethernet, 2, "GET "),
            ("susam_wsapp.pcap", .ethernet, 2, ""),
        ]
        for (name, link, connections, prefix) in expectations {
            let capture = try Self.requirePcap(name)
            XCTAssertEqual(try LinkType(dlt: capture.dlt), link, name)
            let outcome = Self.reassemble(capture, link: link)
            XCTAssertEqual(outcome.decodeErrors, [], name)
            XCTAssertEqual(outcome.transcript.order.count, connections, name)
            guard let first = outcome.transcript.order.first else { continue }
            let stream = outcome.transcript.bytes(first, .client)
            XCTAssertTrue(stream.starts(with: Array(prefix.utf8)), "\(name): \(String(decoding: stream.prefix(40), as: UTF8.self))")
        }
    }

    /// Connection counts agree with tshark's tcp.stream (README), gaps with its lost segments.
    func testConnectionCountsAndGapsMatchTshark() throws {
        let expectations: [(String, Int, [Int])] = [
            ("zeek_tcp_handshake-reorder.pcap", 1, []),
            ("arkime_tcp-reassembly-synthetic.pcap", 11, [8]),
            ("zeek_http_methods.pcap", 49, []),
            ("ndpi_1kxun-android-app.pcap", 98, [8568]),
            ("suricata_http-basic-nonstdport.pcap", 6, [16]),
            ("zeek_http_docker-upgrade-tcp.pcap", 3, []),
            ("zeek_http_zero-length-bodies-drops.pcap", 1, [1274, 1275, 542]),
            ("arkime_wireshark-retrans.pcap", 1, []),
            ("arkime_http-post-upload.pcap", 1, []),
            ("zeek_http_get-nosyn.pcap", 1, []),
        ]
        for (name, connections, gaps) in expectations {
            let capture = try Self.requirePcap(name)
            let outcome = Self.reassemble(capture, link: try LinkType(dlt: capture.dlt))
            XCTAssertEqual(outcome.transcript.order.count, connections, name)
            XCTAssertEqual(outcome.transcript.gaps.map(\.2), gaps, name)
        }
    }

    /// The capture with a lost segment: reassembly reports a gap instead of hiding it.
    func testLostSegmentBecomesAGap() throws {
        let name = "suricata_http-gap-simple_null.pcap"
        let capture = try Self.requirePcap(name)
        let outcome = Self.reassemble(capture, link: try LinkType(dlt: capture.dlt))
        XCTAssertEqual(outcome.decodeErrors, [])
        XCTAssertFalse(outcome.transcript.gaps.isEmpty)
    }
}
