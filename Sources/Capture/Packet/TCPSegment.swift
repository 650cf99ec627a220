/// TCP header flags (RFC 9293 section 3.1).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
}

/// One decoded TCP segment. The payload is the captured part only.
public struct TCPSegment: Sendable, Equatable {
    public var source: IPEndpoint
    public var destination: IPEndpoint
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var payload: ArraySlice<UInt8>
    /// Payload bytes the IP header declares but the capture cut off (snaplen);
    /// they follow `payload` in sequence space and reassembly reports them as a gap.
    public var missingBytes: Int
    /// The tunnels the segment came through, outermost first (empty for plain traffic).
    public var tunnels: TunnelPath
    /// Every link and encapsulation layer it went through, for per-layer counts.
    public var layers: PacketLayers

    public init(
        source: IPEndpoint, destination: IPEndpoint, sequence: UInt32, acknowledgment: UInt32 = 0,
        flags: TCPFlags, window: UInt16 = 65535, payload: ArraySlice<UInt8> = [], missingBytes: Int = 0,
        tunnels: TunnelPath = TunnelPath(), layers: PacketLayers = []
    ) {
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
        self.payload = payload
        self.missingBytes = missingBytes
        self.tunnels = tunnels
        self.layers = layers
    }
}

/// What a captured frame turned out to be.
public enum DecodedPacket: Sendable, Equatable {
    case tcp(TCPSegment)
    /// An IP fragment (IPv4 MF or offset != 0; IPv6 non-atomic Fragment header),
    /// for `IPFragmentReassembler`.
    case ipFragment(IPFragment)
    /// Anything else: ARP, UDP, ICMP, non-IP ethertypes, IPv6 "no next header".
    case notTCP
}
