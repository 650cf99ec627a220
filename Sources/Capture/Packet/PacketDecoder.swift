/// Decodes captured frames down to TCP segments. Pure and stateless.
///
/// Works on the captured bytes in place; the only copy is the TCP payload
/// (none at all when the input is already an `ArraySlice`).
public enum PacketDecoder {
    /// Decodes a frame of `linkType`. Throws on truncated or impossible headers;
    /// anything that is simply not TCP over IP is `.notTCP`. `ports` says which
    /// UDP ports carry tunnels.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, linkType: LinkType, ports: DecapsulationPorts = .default
    ) throws(CaptureError) -> DecodedPacket {
        try decodeLink(Frame(bytes: bytes, source: .copy, ports: ports.table), linkType: linkType)
    }

    /// Decodes a frame held in an array; the payload shares the array's storage.
    public static func decode(
        _ bytes: ArraySlice<UInt8>, linkType: LinkType, ports: DecapsulationPorts = .default
    ) throws(CaptureError) -> DecodedPacket {
        try withFrame(bytes, ports: ports.table) { frame throws(CaptureError) in try decodeLink(frame, linkType: linkType) }
    }

    public static func decode(
        _ bytes: [UInt8], linkType: LinkType, ports: DecapsulationPorts = .default
    ) throws(CaptureError) -> DecodedPacket {
        try decode(bytes[...], linkType: linkType, ports: ports)
    }

    /// Decodes the payload of a reassembled IP datagram: its upper layer, with
    /// the tunnels and layers its fragments came through.
    public static func decode(
        _ datagram: IPDatagram, ports: DecapsulationPorts = .default
    ) throws(CaptureError) -> DecodedPacket {
        let key = datagram.key
        let count = datagram.payload.count
        return try withFrame(datagram.payload[...], ports: ports.table) { frame throws(CaptureError) in
            var frame = frame
            frame.tunnels = datagram.tunnels
            frame.layers = datagram.layers
            return datagram.ipVersion == 6
                ? try frame.ipv6Payload(next: key.proto, at: 0, end: count, source: key.source, destination: key.destination)
                : try frame.transport(
                    key.proto, at: 0, declared: count, captured: count, source: key.source,
                    destination: key.destination, ipVersion: 4)
        }
    }

    static func withFrame(
        _ bytes: ArraySlice<UInt8>, ports: DecapsulationPorts.Table, _ body: (Frame) throws(CaptureError) -> DecodedPacket
    ) throws(CaptureError) -> DecodedPacket {
        let result: Result<DecodedPacket, CaptureError> = bytes.withUnsafeBytes { raw in
            do throws(CaptureError) {
                return .success(try body(Frame(bytes: raw, source: .share(bytes), ports: ports)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decodeLink(_ frame: Frame, linkType: LinkType) throws(CaptureError) -> DecodedPacket {
        let b = frame.bytes
        switch linkType {
        case .ethernet:
            return try frame.ethernet(at: 0)
        case .linuxSLL:
            try frame.need(16, "Linux SLL header")
            return try frame.etherType(b.u16(14), at: 16)
        case .linuxSLL2:
            try frame.need(20, "Linux SLL2 header")
            return try frame.etherType(b.u16(0), at: 20)
        case .null, .loop:
            try frame.need(4, linkType == .null ? "NULL link header" : "LOOP link header")
            let family = linkType == .null ? nullFamily(b) : b.u32(0)
            switch family {
            case 2: return try frame.ipv4(at: 4)
            case 10, 24, 28, 30: return try frame.ipv6(at: 4)
            default: return .notTCP
            }
        case .raw:
            return try frame.ipByVersion(at: 0)
        case .ipv4:
            return try frame.ipv4(at: 0)
        case .ipv6:
            return try frame.ipv6(at: 0)
        case .ciscoHDLC:
            // Address, control, then an Ethernet type (Cisco HDLC framing).
            try frame.need(4, "Cisco HDLC header")
            return try frame.etherType(b.u16(2), at: 4)
        case .arcnetLinux:
            // Linux ARCNET (tcpdump's arc_linux_header): source, destination,
            // offset, then the RFC 1201 protocol id; the old IP type has no
            // split flag and sequence.
            try frame.need(5, "ARCNET header")
            switch b[4] {
            case 240: return try frame.ipv4(at: 5)
            case 212:
                try frame.need(8, "ARCNET header")
                return b[5] == 0 ? try frame.ipv4(at: 8) : .notTCP  // a split packet's pieces are not joined
            case 0xC4:
                try frame.need(8, "ARCNET header")
                return b[5] == 0 ? try frame.ipv6(at: 8) : .notTCP
            default: return .notTCP
            }
        }
    }

    /// DLT_NULL's family is in the capturing host's byte order, which the
    /// reader may not share; families are small, so the order is evident.
    private static func nullFamily(_ b: UnsafeRawBufferPointer) -> UInt32 {
        let bigEndian = b.u32(0)
        return bigEndian <= 0xFFFF ? bigEndian : bigEndian.byteSwapped
    }
}

/// A cursor-free view of one frame while it is being decoded.
struct Frame {
    /// Where the TCP payload is taken from. An enum rather than a closure:
    /// this runs for every packet, and a closure costs a context and a
    /// runtime escape check each time.
    enum PayloadSource {
        /// Copied out of `bytes`, which belong to the caller and do not outlive the call.
        case copy
        /// A slice of the array `bytes` points into, sharing its storage.
        case share(ArraySlice<UInt8>)
    }

    let bytes: UnsafeRawBufferPointer
    let source: PayloadSource
    let ports: DecapsulationPorts.Table
    /// Tunnels entered so far: nesting is bounded, so a crafted frame of
    /// thousands of IP-in-IP headers cannot exhaust a thread's stack.
    var depth = 0
    static let maxDepth = 8

    /// The tunnels and layers the frame has gone through so far, which the
    /// segment or fragment at the bottom takes: built on the way down, so
    /// results pass back up unchanged (no copy of the packet per layer).
    var tunnels = TunnelPath()
    var layers: PacketLayers = []

    /// This frame, one tunnel deeper (and through `added` link layers).
    func inner(_ tunnel: TunnelLayer? = nil, layers added: PacketLayers = []) throws(CaptureError) -> Frame {
        guard depth < Self.maxDepth else { throw .malformed("more than \(Self.maxDepth) nested tunnels") }
        var frame = self
        frame.depth += 1
        if let tunnel {
            frame.tunnels.append(tunnel)
            frame.layers.insert(tunnel.layer)
        }
        frame.layers.formUnion(added)
        return frame
    }

    /// This frame, having also gone through `added` (VLAN tags, MPLS, ...).
    func with(_ added: PacketLayers) -> Frame {
        var frame = self
        frame.layers.formUnion(added)
        return frame
    }

    /// The payload at `range` of `bytes`.
    func payload(_ range: Range<Int>) -> ArraySlice<UInt8> {
        switch source {
        case .copy:
            // The one copy of the payload: a plain memcpy out of the capture buffer.
            return [UInt8](unsafeUninitializedCapacity: range.count) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range]))
                count = range.count
            }[...]
        case .share(let array):
            let base = array.startIndex
            return array[(base + range.lowerBound)..<(base + range.upperBound)]
        }
    }

    func need(_ count: Int, from offset: Int = 0, _ what: String) throws(CaptureError) {
        let have = bytes.count - offset
        if have < count { throw .truncated(what, have: max(0, have), need: count) }
    }

    func need(_ count: Int, _ what: String) throws(CaptureError) {
        try need(count, from: 0, what)
    }

    /// Ethernet II, or IEEE 802.3 with an LLC/SNAP header (RFC 1042) when the
    /// type field is a length. Inlined, like the tunnel headers that lead to
    /// it: each call level that returns a `DecodedPacket` copies it, and a
    /// tunnelled packet passes through twice as many levels.
    @inline(__always)
    func ethernet(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(14, from: offset, "Ethernet header")
        let type = bytes.u16(offset + 12)
        guard type <= 1500 else { return try etherType(type, at: offset + 14) }
        try need(3, from: offset + 14, "LLC header")
        // DSAP and SSAP 0xAA, control UI: SNAP follows (OUI, then an Ethernet type).
        guard bytes[offset + 14] == 0xAA, bytes[offset + 15] == 0xAA, bytes[offset + 16] == 0x03 else { return .notTCP }
        try need(8, from: offset + 14, "SNAP header")
        return try with(.llcSNAP).etherType(bytes.u16(offset + 20), at: offset + 22)
    }

    /// Follows an ethertype through VLAN tags, MPLS and PPPoE to the IP layer.
    func etherType(_ first: UInt16, at start: Int) throws(CaptureError) -> DecodedPacket {
        var type = first
        var offset = start
        var layers: PacketLayers = []
        while true {
            switch type {
            // Plain traffic returns the inner result untouched: no copy of the packet on the hot path.
            case 0x0800: return layers.isEmpty ? try ipv4(at: offset) : try with(layers).ipv4(at: offset)
            case 0x86DD: return layers.isEmpty ? try ipv6(at: offset) : try with(layers).ipv6(at: offset)
            case 0x8100, 0x88A8, 0x9100:  // 802.1Q, 802.1ad, legacy QinQ: TCI then inner type
                try need(4, from: offset, "VLAN tag")
                type = bytes.u16(offset + 2)
                offset += 4
                layers.insert(.vlan)
            case 0x8847, 0x8848:  // MPLS unicast, multicast
                return try with(layers).mpls(at: offset)
            case 0x8864:  // PPPoE session: ver/type, code, session, length, then PPP protocol
                try need(6, from: offset, "PPPoE header")
                return try with(layers.union(.pppoe)).ppp(at: offset + 6)
            default:
                return .notTCP
            }
        }
    }

    func ipByVersion(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(1, from: offset, "IP header")
        switch bytes[offset] >> 4 {
        case 4: return try ipv4(at: offset)
        case 6: return try ipv6(at: offset)
        case let version: throw .malformed("raw IP packet has version \(version); expected 4 or 6")
        }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) << 32 | UInt64(u32(offset + 4))
    }
}
