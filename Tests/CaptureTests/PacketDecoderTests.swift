import XCTest
import TrafficModel
@testable import Capture

/// Hand-built frames for every supported link type.
final class PacketDecoderTests: XCTestCase {
    static let payload: [UInt8] = Array("GET / HTTP/1.1\r\n\r\n".utf8)

    static func tcp(
        sport: UInt16 = 51000, dport: UInt16 = 80, seq: UInt32 = 0x0102_0304, ack: UInt32 = 0x0A0B_0C0D,
        flags: UInt8 = 0x18, optionWords: Int = 0, payload: [UInt8] = payload
    ) -> [UInt8] {
        var h: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        h += be32(seq) + be32(ack)
        h += [UInt8((5 + optionWords) << 4), flags, 0x12, 0x34, 0, 0, 0, 0]
        h += [UInt8](repeating: 1, count: optionWords * 4)  // NOPs
        return h + payload
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func ipv4(
        _ body: [UInt8], proto: UInt8 = 6, totalLength: Int? = nil, fragment: UInt16 = 0x4000, optionWords: Int = 0
    ) -> [UInt8] {
        let ihl = 5 + optionWords
        var h: [UInt8] = [UInt8(0x40 | ihl), 0] + be16(totalLength ?? (ihl * 4 + body.count)) + [0x12, 0x34]
        h += be16(Int(fragment)) + [64, proto, 0, 0] + [10, 0, 0, 1] + [192, 168, 1, 20]
        h += [UInt8](repeating: 1, count: optionWords * 4)
        return h + body
    }

    static let v6Source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let v6Destination: [UInt8] = [0xfe, 0x80] + [UInt8](repeating: 0, count: 6) + [0, 0, 0, 0, 0, 0, 0xab, 0xcd]

    static func ipv6(_ body: [UInt8], next: UInt8 = 6, payloadLength: Int? = nil) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payloadLength ?? body.count) + [next, 64] + v6Source + v6Destination + body
    }

    static func ethernet(_ type: Int, _ body: [UInt8], tags: [Int] = []) -> [UInt8] {
        var frame = [UInt8](repeating: 0xAA, count: 12)
        var types = tags + [type]
        frame += be16(types.removeFirst())
        for t in types { frame += [0x00, 0x05] + be16(t) }
        return frame + body
    }

    func decode(_ bytes: [UInt8], _ link: LinkType, file: StaticString = #filePath, line: UInt = #line)
        -> DecodedPacket?
    {
        do {
            let fromArray = try PacketDecoder.decode(bytes, linkType: link)
            let fromPointer = try bytes.withUnsafeBytes { try PacketDecoder.decode($0, linkType: link) }
            XCTAssertEqual(fromArray, fromPointer, file: file, line: line)
            return fromArray
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    func assertTCP(
        _ packet: DecodedPacket?, v6: Bool = false, payload: [UInt8] = payload, missing: Int = 0,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard case .tcp(let s) = packet else { return XCTFail("not tcp: \(String(describing: packet))", file: file, line: line) }
        XCTAssertEqual(s.source.description, v6 ? "[2001:db8::1]:51000" : "10.0.0.1:51000", file: file, line: line)
        XCTAssertEqual(s.destination.description, v6 ? "[fe80::abcd]:80" : "192.168.1.20:80", file: file, line: line)
        XCTAssertEqual(s.sequence, 0x0102_0304, file: file, line: line)
        XCTAssertEqual(s.acknowledgment, 0x0A0B_0C0D, file: file, line: line)
        XCTAssertEqual(s.flags, [.psh, .ack], file: file, line: line)
        XCTAssertEqual(s.window, 0x1234, file: file, line: line)
        XCTAssertEqual(Array(s.payload), payload, file: file, line: line)
        XCTAssertEqual(s.missingBytes, missing, file: file, line: line)
    }

    /// One valid frame of each link type, carrying the same TCP segment.
    static var framesByLinkType: [(LinkType, [UInt8], Bool)] {
        let v4 = ipv4(tcp()), v6 = ipv6(tcp())
        return [
            (.ethernet, ethernet(0x0800, v4), false),
            (.ethernet, ethernet(0x86DD, v6), true),
            (.ethernet, ethernet(0x0800, v4, tags: [0x8100]), false),
            (.ethernet, ethernet(0x86DD, v6, tags: [0x88A8, 0x8100]), true),
            (.ethernet, ethernet(0x0800, v4, tags: [0x9100, 0x88A8, 0x8100]), false),
            (.ethernet, ethernet(0x8864, [0x11, 0, 0, 1] + be16(v4.count + 2) + [0x00, 0x21] + v4), false),
            (.ethernet, ethernet(0x8864, [0x11, 0, 0, 1] + be16(v6.count + 2) + [0x00, 0x57] + v6), true),
            (.ethernet, ethernet(0x8864, [0x11, 0, 0, 1] + be16(v4.count + 1) + [0x21] + v4), false),  // compressed
            (.linuxSLL, [0, 0, 0, 1, 0, 6] + [UInt8](repeating: 7, count: 8) + [0x08, 0x00] + v4, false),
            (.linuxSLL2, [0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + [UInt8](repeating: 7, count: 8) + v6, true),
            (.null, [2, 0, 0, 0] + v4, false),  // little-endian writer
            (.null, [0, 0, 0, 2] + v4, false),  // big-endian writer
            (.null, [30, 0, 0, 0] + v6, true),
            (.null, [0, 0, 0, 24] + v6, true),
            (.null, [28, 0, 0, 0] + v6, true),
            (.null, [10, 0, 0, 0] + v6, true),
            (.loop, [0, 0, 0, 2] + v4, false),
            (.loop, [0, 0, 0, 30] + v6, true),
            (.raw, v4, false), (.raw, v6, true), (.ipv4, v4, false), (.ipv6, v6, true),
        ]
    }

    func testEveryLinkTypeDecodesTheSegment() {
        for (link, frame, v6) in Self.framesByLinkType {
            assertTCP(decode(frame, link), v6: v6)
        }
    }

    func testEveryProperPrefixIsATruncationErrorOrACutPayload() {
        for (link, frame, v6) in Self.framesByLinkType {
            let payloadStart = frame.count - Self.payload.count
            for length in 0..<frame.count {
                let prefix = Array(frame[..<length])
                do {
                    let packet = try PacketDecoder.decode(prefix, linkType: link)
                    XCTAssertGreaterThanOrEqual(length, payloadStart, "\(link) prefix \(length) decoded")
                    assertTCP(
                        packet, v6: v6,
                        payload: Array(Self.payload[..<(length - payloadStart)]), missing: frame.count - length)
                } catch {
                    XCTAssertLessThan(length, payloadStart, "\(link) prefix \(length): \(error)")
                    XCTAssertEqual(error.code, .truncatedHeader, "\(link) prefix \(length): \(error)")
                }
            }
        }
    }

    func testTruncationMessagesArePrecise() throws {
        let frame = Self.ethernet(0x0800, Self.ipv4(Self.tcp()))
        XCTAssertThrowsError(try PacketDecoder.decode(Array(frame[..<26]), linkType: .ethernet)) {
            XCTAssertEqual(($0 as? CaptureError)?.reason, "IPv4 header truncated: 12 of 20 bytes")
        }
        XCTAssertThrowsError(try PacketDecoder.decode(Array(frame[..<44]), linkType: .ethernet)) {
            XCTAssertEqual(($0 as? CaptureError)?.reason, "TCP header truncated: 10 of 20 bytes")
        }
        XCTAssertThrowsError(try PacketDecoder.decode(Array(frame[..<5]), linkType: .ethernet)) {
            XCTAssertEqual(($0 as? CaptureError)?.reason, "Ethernet header truncated: 5 of 14 bytes")
        }
        let withOptions = Self.ipv4(Self.tcp(), optionWords: 1)
        XCTAssertThrowsError(try PacketDecoder.decode(Array(withOptions[..<22]), linkType: .ipv4)) {
            XCTAssertEqual(($0 as? CaptureError)?.reason, "IPv4 header truncated: 22 of 24 bytes")
        }
    }

    func testEthernetPaddingIsTrimmedAndZeroTotalLengthUsesCapture() {
        let padded = Self.ethernet(0x0800, Self.ipv4(Self.tcp(payload: [])) + [0, 0, 0, 0, 0, 0])
        assertTCP(decode(padded, .ethernet), payload: [])
        assertTCP(decode(Self.ipv4(Self.tcp(), totalLength: 0), .ipv4))
        assertTCP(decode(Self.ipv6(Self.tcp(), payloadLength: 0), .ipv6), v6: true)
    }

    func testOptionsAreSkipped() {
        assertTCP(decode(Self.ipv4(Self.tcp(optionWords: 3), optionWords: 2), .raw))
    }

    func testSnaplenCutPayloadReportsMissingBytes() {
        let frame = Self.ethernet(0x0800, Self.ipv4(Self.tcp()))
        assertTCP(decode(Array(frame[..<(frame.count - 7)]), .ethernet), payload: Array(Self.payload.dropLast(7)), missing: 7)
    }

    func testIPv6ExtensionHeaders() {
        // hop-by-hop -> routing -> destination options -> atomic fragment -> AH -> TCP
        let hop: [UInt8] = [43, 0, 1, 4, 0, 0, 0, 0]
        let routing: [UInt8] = [60, 1] + [UInt8](repeating: 0, count: 14)
        let destination: [UInt8] = [44, 0, 1, 4, 0, 0, 0, 0]
        let atomic: [UInt8] = [51, 0, 0, 0, 0, 0, 0, 9]
        let ah: [UInt8] = [6, 1, 0, 0] + [UInt8](repeating: 0, count: 8)
        let packet = Self.ipv6(hop + routing + destination + atomic + ah + Self.tcp(), next: 0)
        assertTCP(decode(packet, .ipv6), v6: true)

        let fragment: [UInt8] = [6, 0, 0x00, 0x01, 0, 0, 0, 9]  // offset 0, M=1
        guard case .ipFragment(let piece) = decode(Self.ipv6(fragment + Self.tcp(), next: 44), .ipv6) else {
            return XCTFail("expected fragment")
        }
        XCTAssertEqual(piece.detail, "IPv6 fragment id 9 offset 0 (more fragments)")
        XCTAssertEqual(decode(Self.ipv6([], next: 59), .ipv6), .notTCP)
        XCTAssertEqual(decode(Self.ipv6([0, 0, 0, 0, 0, 8, 0, 0], next: 17), .ipv6), .notTCP)
        // An extension header cut short is an error, not a crash.
        XCTAssertThrowsError(try PacketDecoder.decode(Self.ipv6(Array(hop[..<5]), next: 0), linkType: .ipv6))
    }

    func testIPv4Fragments() {
        guard case .ipFragment(let first) = decode(Self.ipv4(Self.tcp(), fragment: 0x2000), .ipv4) else {
            return XCTFail("expected fragment")
        }
        XCTAssertEqual(first.key, IPFragment.Key(source: .v4(0x0A00_0001), destination: .v4(0xC0A8_0114), identification: 4660, proto: 6))
        XCTAssertEqual(first.detail, "IPv4 fragment id 4660 offset 0 (more fragments)")
        XCTAssertEqual(Array(first.payload), Self.tcp())
        guard case .ipFragment(let last) = decode(Self.ipv4([1, 2, 3], fragment: 0x0010), .ipv4) else {
            return XCTFail("expected fragment")
        }
        XCTAssertEqual(last.detail, "IPv4 fragment id 4660 offset 128 (last)")
    }

    func testNonTCPAndMalformed() {
        XCTAssertEqual(decode(Self.ethernet(0x0806, [UInt8](repeating: 0, count: 28)), .ethernet), .notTCP)
        XCTAssertEqual(decode(Self.ipv4([0, 53, 0, 53, 0, 8, 0, 0], proto: 17), .ipv4), .notTCP)
        XCTAssertEqual(decode([99, 0, 0, 0] + Self.ipv4(Self.tcp()), .null), .notTCP)
        XCTAssertEqual(decode(Self.ethernet(0x8864, [0x11, 0, 0, 1, 0, 2, 0xC0, 0x21]), .ethernet), .notTCP)
        var badIHL = Self.ipv4(Self.tcp())
        badIHL[0] = 0x44
        var badOffset = Self.ipv4(Self.tcp())
        badOffset[20 + 12] = 0x40
        for (bytes, link, reason) in [
            (badIHL, LinkType.ipv4, "IPv4 header length 16 is below 20"),
            (badOffset, .ipv4, "TCP data offset 16 is below 20"),
            (Self.ipv4(Self.tcp(), totalLength: 10), .ipv4, "IPv4 total length 10 is below its header length 20"),
            (Self.ipv4(Self.tcp(), totalLength: 30), .ipv4, "TCP header length 20 exceeds the segment length 10"),
            ([0x50] + [UInt8](repeating: 0, count: 30), .raw, "raw IP packet has version 5; expected 4 or 6"),
            (Self.ipv6(Self.tcp()), .ipv4, "IPv4 header has version 6"),
        ] {
            XCTAssertThrowsError(try PacketDecoder.decode(bytes, linkType: link)) {
                XCTAssertEqual(($0 as? CaptureError)?.code, .malformedHeader)
                XCTAssertEqual(($0 as? CaptureError)?.reason, reason)
            }
        }
    }

    func testLinkTypes() throws {
        let expected: [(Int32, LinkType)] = [
            (1, .ethernet), (0, .null), (108, .loop), (12, .raw), (14, .raw), (101, .raw),
            (228, .ipv4), (229, .ipv6), (113, .linuxSLL), (276, .linuxSLL2),
        ]
        for (dlt, link) in expected { XCTAssertEqual(try LinkType(dlt: dlt), link) }
        XCTAssertThrowsError(try LinkType(dlt: 127)) {
            let reason = ($0 as? CaptureError)?.reason ?? ""
            XCTAssertTrue(reason.hasPrefix("link type 127 (IEEE802_11_RADIO) is not supported; supported: "), reason)
        }
        XCTAssertThrowsError(try LinkType(dlt: 9)) {
            XCTAssertTrue(($0 as? CaptureError)?.reason.hasPrefix("link type 9 (PPP) is") == true)
        }
        XCTAssertThrowsError(try LinkType(dlt: 4242)) {
            XCTAssertTrue(($0 as? CaptureError)?.reason.hasPrefix("link type 4242 is not supported") == true)
        }
    }

    func testCanonicalAddresses() {
        func v6(_ groups: [UInt16]) -> String {
            IPAddress(v6: groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }).description
        }
        XCTAssertEqual(v6([0, 0, 0, 0, 0, 0, 0, 1]), "::1")
        XCTAssertEqual(v6([0, 0, 0, 0, 0, 0, 0, 0]), "::")
        XCTAssertEqual(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), "fe80::")
        XCTAssertEqual(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), "2001:db8::1:0:0:1")
        XCTAssertEqual(v6([1, 0, 0, 2, 0, 0, 0, 3]), "1:0:0:2::3")
        XCTAssertEqual(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), "2001:db8:0:1:1:1:1:1")
        XCTAssertEqual(v6([0x2001, 0xDB8, 0xABCD, 0, 0, 0, 0, 0]), "2001:db8:abcd::")
        XCTAssertEqual(IPAddress(v4: [127, 0, 0, 1]).description, "127.0.0.1")
        XCTAssertEqual(IPEndpoint(IPAddress(v6: Self.v6Source), 443).endpoint, Endpoint(host: "2001:db8::1", port: 443))
    }
}
