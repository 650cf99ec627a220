public import Capture
/// Builds frames for synthetic captures (tests and fixtures). Pure.
public enum SyntheticPacket {
    /// An Ethernet II / IPv4 / TCP frame with no options. IPv4 total length and
    /// TCP data offset are right; checksums are 0 (decoders and libpcap filters
    /// do not check them). `src` and `dst` are the four address bytes.
    public static func ethernetIPv4TCP(
        src: [UInt8], dst: [UInt8], srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32 = 0,
        flags: TCPFlags, window: UInt16 = 65535, payload: [UInt8] = []
    ) -> [UInt8] {
        precondition(src.count == 4 && dst.count == 4, "IPv4 addresses are 4 bytes")
        let totalLength = 20 + 20 + payload.count
        precondition(totalLength <= 0xFFFF, "IPv4 packet cannot exceed 65535 bytes")
        var frame: [UInt8] = []
        frame.reserveCapacity(14 + totalLength)
        // Ethernet: locally administered MACs, ethertype IPv4.
        frame += [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]
        // IPv4: version 4, IHL 5, DSCP 0, total length, id 0, DF, TTL 64, protocol TCP, checksum 0.
        frame += [0x45, 0x00]
        frame += be16(UInt16(totalLength))
        frame += [0x00, 0x00, 0x40, 0x00, 64, 6, 0x00, 0x00]
        frame += src
        frame += dst
        // TCP: data offset 5 words, no options, checksum 0, urgent pointer 0.
        frame += be16(srcPort) + be16(dstPort) + be32(seq) + be32(ack)
        frame += [0x50, flags.rawValue]
        frame += be16(window) + [0, 0, 0, 0]
        frame += payload
        return frame
    }

    private static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    private static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}
