public import Capture

/// Wraps synthetic Ethernet frames the way traffic mirroring delivers them
/// (VXLAN, Geneve, ERSPAN over GRE) and cuts IPv4 packets into fragments,
/// so a test can compare the recording of a wrapped capture with the plain
/// one. Pure; checksums are 0 like `SyntheticPacket`'s.
public enum SyntheticTunnel {
    /// The mirror session's outer hosts (a sensor and the collector).
    public static let outerSource: [UInt8] = [192, 0, 2, 1]
    public static let outerDestination: [UInt8] = [192, 0, 2, 200]

    /// Ethernet / IPv4 / UDP 4789 / VXLAN (RFC 7348) around `frame`.
    public static func vxlan(_ frame: [UInt8], vni: UInt32, port: UInt16 = 4789) -> [UInt8] {
        let header: [UInt8] = [0x08, 0, 0, 0] + be32(vni << 8)
        return ethernet(ipv4(proto: 17, udp(sourcePort: 49152, destinationPort: port, header + frame)))
    }

    /// Ethernet / IPv4 / UDP 6081 / Geneve (RFC 8926) with `options` 4-byte words of options.
    public static func geneve(_ frame: [UInt8], vni: UInt32, optionWords: Int = 2, port: UInt16 = 6081) -> [UInt8] {
        precondition(optionWords < 64)
        var header: [UInt8] = [UInt8(optionWords), 0] + be16(0x6558) + be32(vni << 8)
        // One option per word pair: class, type, length (words after its own header).
        var words = optionWords
        while words > 0 {
            let length = min(words - 1, 31)
            header += be16(0x0103) + [0x80, UInt8(length)] + [UInt8](repeating: 0xAB, count: length * 4)
            words -= 1 + length
        }
        return ethernet(ipv4(proto: 17, udp(sourcePort: 49153, destinationPort: port, header + frame)))
    }

    /// Ethernet / IPv4 / GRE (sequence number) / ERSPAN type 2 or 3 around `frame`.
    public static func erspan(_ frame: [UInt8], type: Int, session: UInt16, sequence: UInt32) -> [UInt8] {
        precondition(type == 2 || type == 3)
        let gre: [UInt8] = be16(0x1000) + be16(type == 2 ? 0x88BE : 0x22EB) + be32(sequence)
        let header: [UInt8]
        if type == 2 {
            // Ver 1, VLAN 0; COS, En, T, session id; reserved, index.
            header = be16(0x1000) + be16(session & 0x3FF) + be32(0)
        } else {
            // Ver 2, VLAN 0; COS, BSO, T, session id; timestamp; SGT, P, FT, HW id, D, Gra, O = 1;
            // then the 8-byte platform-specific subheader O announces.
            header = be16(0x2000) + be16(session & 0x3FF) + be32(0x1234_5678) + be16(0) + be16(0x0001) + [UInt8](repeating: 0, count: 8)
        }
        return ethernet(ipv4(proto: 47, gre + header + frame))
    }

    /// An Ethernet / IPv4 frame cut into fragments whose payloads are at most
    /// `size` bytes (rounded down to 8); other frames come back as they are.
    public static func fragments(_ frame: [UInt8], size: Int, identification: UInt16) -> [[UInt8]] {
        guard frame.count > 34, frame[12] == 0x08, frame[13] == 0x00 else { return [frame] }
        let headerLength = Int(frame[14] & 0x0F) * 4
        let payload = Array(frame[(14 + headerLength)...])
        let chunk = max(8, size / 8 * 8)
        guard payload.count > chunk else { return [frame] }
        var pieces: [[UInt8]] = []
        var offset = 0
        while offset < payload.count {
            let end = min(payload.count, offset + chunk)
            var header = Array(frame[14..<(14 + headerLength)])
            header.replaceSubrange(2..<4, with: be16(UInt16(headerLength + end - offset)))
            header.replaceSubrange(4..<6, with: be16(identification))
            let more: UInt16 = end < payload.count ? 0x2000 : 0
            header.replaceSubrange(6..<8, with: be16(more | UInt16(offset / 8)))
            pieces.append(Array(frame[0..<14]) + header + payload[offset..<end])
            offset = end
        }
        return pieces
    }

    /// Every packet wrapped by `wrap`, timestamps and numbering kept (one
    /// packet may become several, as fragments do).
    public static func wrap(_ packets: [CapturedPacket], _ wrap: (Int, [UInt8]) -> [[UInt8]]) -> [CapturedPacket] {
        var out: [CapturedPacket] = []
        for (index, packet) in packets.enumerated() {
            for frame in wrap(index, packet.data) {
                out.append(CapturedPacket(timestamp: packet.timestamp, data: frame, number: out.count + 1))
            }
        }
        return out
    }

    static func ethernet(_ ip: [UInt8]) -> [UInt8] {
        [0x02, 0, 0, 0, 0, 0xC8, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00] + ip
    }

    static func ipv4(proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x45, 0] + be16(UInt16(20 + payload.count)) + [0, 0, 0x40, 0, 64, proto, 0, 0] + outerSource + outerDestination + payload
    }

    static func udp(sourcePort: UInt16, destinationPort: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}
