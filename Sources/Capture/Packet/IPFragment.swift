/// One IPv4 or IPv6 fragment, as `IPFragmentReassembler` needs it.
public struct IPFragment: Sendable, Equatable {
    /// What fragments of one datagram share (RFC 791: source, destination,
    /// protocol, identification; RFC 8200: source, destination, identification).
    public struct Key: Hashable, Sendable {
        public var source: IPAddress
        public var destination: IPAddress
        public var identification: UInt32
        /// The upper-layer protocol (IPv4) or the Fragment header's next header (IPv6).
        public var proto: UInt8

        public init(source: IPAddress, destination: IPAddress, identification: UInt32, proto: UInt8) {
            self.source = source
            self.destination = destination
            self.identification = identification
            self.proto = proto
        }
    }

    public var key: Key
    /// Byte offset of `payload` in the reassembled datagram's payload.
    public var offset: Int
    /// False on the last fragment.
    public var moreFragments: Bool
    public var payload: ArraySlice<UInt8>
    /// 4 or 6.
    public var ipVersion: Int
    public var tunnels = TunnelPath()
    public var layers: PacketLayers = []

    public init(key: Key, offset: Int, moreFragments: Bool, payload: ArraySlice<UInt8>, ipVersion: Int) {
        self.key = key
        self.offset = offset
        self.moreFragments = moreFragments
        self.payload = payload
        self.ipVersion = ipVersion
    }

    /// "IPv4 fragment id 4660 offset 128 (last)", for anomalies and tests.
    public var detail: String {
        "IPv\(ipVersion) fragment id \(key.identification) offset \(offset)" + (moreFragments ? " (more fragments)" : " (last)")
    }
}
