public import Capture
public import TrafficModel
/// Bytes of a classic pcap file (little-endian, microsecond timestamps). Pure:
/// the caller writes them where it wants; tests use it to build fixtures, cut
/// them anywhere, and read them back.
public struct PcapFileWriter: Sendable {
    /// The 24-byte global header. `linkType` is the LINKTYPE_ value (1 = Ethernet).
    public static func header(linkType: UInt32, snaplen: UInt32 = 262_144) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(0xA1B2_C3D4, to: &bytes)  // magic: microsecond resolution
        append16(2, to: &bytes)  // version 2.4
        append16(4, to: &bytes)
        append(0, to: &bytes)  // thiszone
        append(0, to: &bytes)  // sigfigs
        append(snaplen, to: &bytes)
        append(linkType, to: &bytes)
        return bytes
    }

    /// One record: 16-byte header then the data. `incl_len` is `data.count` (so the
    /// file stays consistent whatever `capturedLength` says) and `orig_len` is `wireLength`
    /// (at least `data.count`).
    /// Timestamps before 1970 are not representable and are clamped to 0.
    public static func record(_ packet: CapturedPacket) -> [UInt8] {
        let micros = max(0, packet.timestamp.microseconds)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + packet.data.count)
        append(UInt32(truncatingIfNeeded: micros / 1_000_000), to: &bytes)
        append(UInt32(micros % 1_000_000), to: &bytes)
        append(UInt32(truncatingIfNeeded: packet.data.count), to: &bytes)
        append(UInt32(truncatingIfNeeded: max(packet.wireLength, packet.data.count)), to: &bytes)
        bytes += packet.data
        return bytes
    }

    /// A whole file: header then every record.
    public static func file(linkType: UInt32, snaplen: UInt32 = 262_144, packets: [CapturedPacket]) -> [UInt8] {
        packets.reduce(header(linkType: linkType, snaplen: snaplen)) { $0 + record($1) }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }
}
