import XCTest
import TestSupport
import TrafficModel
@testable import Capture

/// Every encapsulation layer, hand-built: the inner TCP segment comes out with
/// its tunnel path, and every proper prefix of every frame is an error or
/// "not TCP", never a crash (swift-asn1's drip-fed discipline).
final class TunnelDecoderTests: XCTestCase {
    typealias P = PacketDecoderTests
    static let inner = P.ethernet(0x0800, P.ipv4(P.tcp()))

    static func outerIPv4(proto: UInt8, _ body: [UInt8]) -> [UInt8] { P.ethernet(0x0800, P.ipv4(body, proto: proto)) }

    static func udp(_ port: UInt16, _ body: [UInt8], sourcePort: UInt16 = 40000) -> [UInt8] {
        P.be16(Int(sourcePort)) + P.be16(Int(port)) + P.be16(8 + body.count) + [0, 0] + body
    }

    /// Each case: a frame, its link type, and the path its TCP segment must report.
    static let cases: [(name: String, frame: [UInt8], link: LinkType, path: String?, layers: PacketLayers)] = [
        ("vxlan", outerIPv4(proto: 17, udp(4789, [0x08, 0, 0, 0, 0, 0, 42, 0] + inner)), .ethernet, "vxlan vni=42", .vxlan),
        ("geneve", outerIPv4(proto: 17, udp(6081, [0x02, 0, 0x65, 0x58, 0, 0, 7, 0] + [0, 1, 2, 1] + [9, 9, 9, 9] + inner)), .ethernet, "geneve vni=7", .geneve),
        ("geneve ipv4", outerIPv4(proto: 17, udp(6081, [0x00, 0, 0x08, 0x00, 0, 0, 8, 0] + P.ipv4(P.tcp()))), .ethernet, "geneve vni=8", .geneve),
        ("gre key seq csum", outerIPv4(proto: 47, [0xB0, 0, 0x08, 0x00] + [0, 0, 0, 0] + P.be32(1234) + P.be32(1) + P.ipv4(P.tcp())), .ethernet, "gre key=1234", .gre),
        ("gre ethernet", outerIPv4(proto: 47, [0, 0, 0x65, 0x58] + inner), .ethernet, "gre", .gre),
        ("erspan I", outerIPv4(proto: 47, [0, 0, 0x88, 0xBE] + inner), .ethernet, "gre > erspan type=1", [.gre, .erspan]),
        ("erspan II", outerIPv4(proto: 47, [0x10, 0, 0x88, 0xBE] + P.be32(7) + [0x10, 0, 0x00, 0x05, 0, 0, 0, 0] + inner), .ethernet, "gre > erspan type=2 session=5", [.gre, .erspan]),
        ("erspan III", outerIPv4(proto: 47, [0x10, 0, 0x22, 0xEB] + P.be32(7) + [0x20, 0, 0x03, 0xFF] + [0, 0, 0, 0] + [0, 0, 0, 0] + inner), .ethernet, "gre > erspan type=3 session=1023", [.gre, .erspan]),
        ("gre-in-udp", outerIPv4(proto: 17, udp(4754, [0, 0, 0x08, 0x00] + P.ipv4(P.tcp()))), .ethernet, "gre-in-udp", .gre),
        ("ip-in-ip", outerIPv4(proto: 4, P.ipv4(P.tcp())), .ethernet, "ip4-in-ip4", .ipInIP),
        ("6in4", outerIPv4(proto: 41, P.ipv6(P.tcp())), .ethernet, "6in4", .ipInIP),
        ("4in6", P.ethernet(0x86DD, P.ipv6(P.ipv4(P.tcp()), next: 4)), .ethernet, "ip4-in-ip6", .ipInIP),
        ("teredo", outerIPv4(proto: 17, udp(3544, [0, 0, 0x0D, 0x95, 1, 2, 3, 4] + P.ipv6(P.tcp()), sourcePort: 3544)), .ethernet, "teredo", .teredo),
        ("ayiya", outerIPv4(proto: 17, udp(5072, [0x41, 0x52, 0x11, 41, 0, 0, 0, 0] + [UInt8](repeating: 7, count: 16) + [UInt8](repeating: 8, count: 20) + P.ipv6(P.tcp()))), .ethernet, "ayiya", .ayiya),
        ("gtp-u", outerIPv4(proto: 17, udp(2152, [0x30, 0xFF] + P.be16(40 + P.tcp().count) + P.be32(0xBEEF) + P.ipv4(P.tcp()))), .ethernet, "gtp-u teid=48879", .gtpU),
        ("gtp-u extension", outerIPv4(proto: 17, udp(2152, [0x34, 0xFF, 0, 0] + P.be32(9) + [0, 0, 0, 0x85] + [1, 0x10, 5, 0] + P.ipv4(P.tcp()))), .ethernet, "gtp-u teid=9", .gtpU),
        ("mpls", P.ethernet(0x8847, [0, 0x01, 0x00, 64] + [0, 0x02, 0x01, 64] + P.ipv4(P.tcp())), .ethernet, nil, .mpls),
        ("mpls pseudowire", P.ethernet(0x8847, [0, 0x01, 0x01, 64] + [0, 0, 0, 0] + inner), .ethernet, nil, .mpls),
        ("llc/snap", [UInt8](repeating: 0xAA, count: 12) + P.be16(8 + 40 + P.payload.count) + [0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00] + P.ipv4(P.tcp()), .ethernet, nil, .llcSNAP),
        ("qinq in vxlan", outerIPv4(proto: 17, udp(4789, [0x08, 0, 0, 0, 0, 0, 1, 0] + P.ethernet(0x0800, P.ipv4(P.tcp()), tags: [0x88A8, 0x8100]))), .ethernet, "vxlan vni=1", [.vxlan, .vlan]),
        ("pppoe in gre", outerIPv4(proto: 47, [0, 0, 0x65, 0x58] + P.ethernet(0x8864, [0x11, 0, 0, 1, 0, 0, 0x00, 0x21] + P.ipv4(P.tcp()))), .ethernet, "gre", [.gre, .pppoe]),
        ("ipv6 ah tunnel", P.ethernet(0x86DD, P.ipv6([41, 1, 0, 0] + [UInt8](repeating: 0, count: 8) + P.ipv6(P.tcp()), next: 51)), .ethernet, "ip6-in-ip6", [.ipv6Extension, .ipInIP]),
        ("esp null, sha1-96", outerIPv4(proto: 50, P.be32(0x100) + P.be32(1) + P.tcp() + [1, 2, 2, 6] + [UInt8](repeating: 0xEE, count: 12)), .ethernet, nil, .espNull),
        ("esp null in ipv6, no icv", P.ethernet(0x86DD, P.ipv6(P.be32(0x100) + P.be32(1) + P.ipv4(P.tcp()) + [0, 4], next: 50)), .ethernet, "ip4-in-ip6", [.espNull, .ipInIP]),
        ("cisco hdlc", [0x0F, 0x00, 0x08, 0x00] + P.ipv4(P.tcp()), .ciscoHDLC, nil, []),
        ("arcnet", [1, 2, 0, 0, 212, 0, 0, 0] + P.ipv4(P.tcp()), .arcnetLinux, nil, []),
        ("vxlan in vxlan", outerIPv4(proto: 17, udp(4789, [0x08, 0, 0, 0, 0, 0, 1, 0] + outerIPv4(proto: 17, udp(4789, [0x08, 0, 0, 0, 0, 0, 2, 0] + inner)))), .ethernet, "vxlan vni=1 > vxlan vni=2", .vxlan),
    ]

    func testEveryLayerYieldsTheInnerSegmentAndItsPath() throws {
        for c in Self.cases {
            let decoded = try PacketDecoder.decode(c.frame, linkType: c.link)
            guard case .tcp(let segment) = decoded else { XCTFail("\(c.name): \(decoded)"); continue }
            XCTAssertEqual(Array(segment.payload), P.payload, c.name)
            XCTAssertEqual(segment.destination.port, 80, c.name)
            XCTAssertEqual(TunnelLayer.path(segment.tunnels), c.path, c.name)
            XCTAssertEqual(segment.layers, c.layers, c.name)
            // The same from a pointer (payload copied) as from an array (shared).
            let fromPointer = try c.frame.withUnsafeBytes { try PacketDecoder.decode($0, linkType: c.link) }
            XCTAssertEqual(fromPointer, decoded, c.name)
        }
    }

    /// Every proper prefix: an error, "not TCP", or the segment with bytes missing.
    func testEveryPrefixIsAnErrorOrLessNeverACrash() {
        for c in Self.cases {
            for length in 0..<c.frame.count {
                do {
                    let decoded = try PacketDecoder.decode(Array(c.frame[..<length]), linkType: c.link)
                    if case .tcp(let segment) = decoded {
                        XCTAssertGreaterThan(segment.missingBytes, 0, "\(c.name) cut at \(length)")
                    }
                } catch {
                    XCTAssertFalse(error.reason.isEmpty)
                }
            }
        }
    }

    /// Encrypted ESP has no self-consistent trailer: not TCP.
    func testEncryptedESPIsNotTCP() throws {
        let encrypted = Self.outerIPv4(proto: 50, P.be32(0x100) + P.be32(1) + (0..<64).map { UInt8(($0 * 37 + 11) & 0xFF) })
        XCTAssertEqual(try PacketDecoder.decode(encrypted, linkType: .ethernet), .notTCP)
    }

    /// Seeded mutations of every case (bytes flipped, headers' lengths and
    /// flags among them), each decoded and its fragments reassembled: an
    /// error or a value, never a crash. The fuzz-packet target does this at
    /// length; this keeps a repeatable slice of it in every test run.
    func testMutatedFramesNeverCrash() {
        var random = SplitMix64(seed: 20)
        var reassembler = IPFragmentReassembler(limits: IPFragmentLimits(maxDatagrams: 8, maxBufferedBytes: 1 << 16, timeout: 1))
        var decoded = 0
        for round in 0..<4000 {
            let c = Self.cases[random.next(upTo: Self.cases.count)]
            var frame = c.frame
            for _ in 0..<random.int(1...4) { frame[random.next(upTo: frame.count)] = random.nextByte() }
            if random.chance(0.2) { frame = Array(frame.prefix(random.next(upTo: frame.count + 1))) }
            guard let packet = try? PacketDecoder.decode(frame, linkType: c.link) else { continue }
            decoded += 1
            if case .ipFragment(let fragment) = packet,
               case .complete(let datagram) = reassembler.add(fragment, at: Timestamp(seconds: Double(round) * 0.01)) {
                _ = try? PacketDecoder.decode(datagram)
            }
        }
        XCTAssertGreaterThan(decoded, 1000)
    }

    func testTunnelPortsAreConfigurable() throws {
        let frame = Self.outerIPv4(proto: 17, Self.udp(8472, [0x08, 0, 0, 0, 0, 0, 42, 0] + Self.inner))
        XCTAssertEqual(try PacketDecoder.decode(frame, linkType: .ethernet), .notTCP)
        var ports = DecapsulationPorts.default
        ports.vxlan = [8472]
        guard case .tcp(let segment) = try PacketDecoder.decode(frame, linkType: .ethernet, ports: ports) else {
            return XCTFail("VXLAN on 8472 not decoded")
        }
        XCTAssertEqual(segment.tunnels, [.vxlan(vni: 42)])
    }

    /// Not what the port promised: not TCP, not an error.
    func testUDPOnATunnelPortThatIsNotTheTunnel() throws {
        let dns = Self.outerIPv4(proto: 17, Self.udp(4789, [0x00, 0x01, 0x02, 0x03, 0, 0, 0, 0, 1, 2]))
        XCTAssertEqual(try PacketDecoder.decode(dns, linkType: .ethernet), .notTCP)
        let gtpEcho = Self.outerIPv4(proto: 17, Self.udp(2152, [0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]))
        XCTAssertEqual(try PacketDecoder.decode(gtpEcho, linkType: .ethernet), .notTCP)
    }

    /// Thousands of nested IP-in-IP headers end in an error, not a stack overflow.
    func testTunnelNestingIsBounded() {
        var packet = P.ipv4(P.tcp())
        for _ in 0..<2000 { packet = P.ipv4(packet, proto: 4, totalLength: 0) }
        XCTAssertThrowsError(try PacketDecoder.decode(packet, linkType: .ipv4)) { error in
            XCTAssertTrue("\(error)".contains("nested tunnels"), "\(error)")
        }
    }

    /// A reassembled datagram decodes with the tunnels of its fragments.
    func testDatagramKeepsItsFragmentsTunnels() throws {
        let key = IPFragment.Key(source: .v4(1), destination: .v4(2), identification: 9, proto: 6)
        var datagram = IPDatagram(key: key, payload: P.tcp(), ipVersion: 4, tunnels: [.vxlan(vni: 3)], layers: [.vxlan, .ipv4Fragment])
        guard case .tcp(let segment) = try PacketDecoder.decode(datagram) else { return XCTFail("no TCP") }
        XCTAssertEqual(segment.tunnels, [.vxlan(vni: 3)])
        XCTAssertEqual(segment.layers, [.vxlan, .ipv4Fragment])
        XCTAssertEqual(segment.source, IPEndpoint(.v4(1), 51000))
        datagram.ipVersion = 6
        datagram.key.proto = 60  // a destination options header after the fragment header
        datagram.payload = [6, 0, 1, 4, 0, 0, 0, 0] + P.tcp()
        guard case .tcp = try PacketDecoder.decode(datagram) else { return XCTFail("IPv6 datagram not decoded") }
    }
}
