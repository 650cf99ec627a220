public import Wire
public import TrafficModel

/// What reassembly reports, in order. Every `.opened` is followed, eventually,
/// by exactly one `.closed` for the same ID.
public enum TCPEvent: Sendable, Equatable {
    /// A new connection. `client` sent the SYN (or received the SYN-ACK). When
    /// `midstream` is true no SYN was seen and `client` is only a guess: the
    /// sender of the first segment.
    case opened(ConnectionID, client: Endpoint, server: Endpoint, midstream: Bool, at: Timestamp)
    /// In-order stream bytes. `at` is when they became deliverable: the segment
    /// that filled a hole, or, for bytes released by a skip, flush or finish,
    /// their own arrival time (so `at` may be earlier than the preceding gap's).
    case data(ConnectionID, Direction, bytes: ArraySlice<UInt8>, at: Timestamp)
    /// `bytes` stream bytes that were never captured; the stream continues after them.
    case gap(ConnectionID, Direction, bytes: Int, at: Timestamp)
    /// The connection ended. `by` is who sent the first FIN or the RST (RSTs are
    /// not checked against the window: a capture cannot tell a spoofed one).
    case closed(ConnectionID, kind: TCPCloseKind, by: Direction?, at: Timestamp)
}

/// How a connection ended.
/// Memory and time bounds for `TCPReassembler`.
public struct TCPReassemblerLimits: Sendable, Equatable {
    /// Out-of-order bytes buffered per connection before the hole is skipped (default 4 MiB).
    public var maxBufferedBytesPerConnection: Int
    /// Out-of-order bytes buffered across all connections (default 64 MiB).
    public var maxBufferedBytesTotal: Int
    /// Connections tracked at once; the least recently active is evicted (default 100 000).
    public var maxConnections: Int
    /// Seconds of packet time without a segment after which a connection ends (default 120).
    public var idleTimeout: Double

    public init(
        maxBufferedBytesPerConnection: Int = 4 << 20, maxBufferedBytesTotal: Int = 64 << 20,
        maxConnections: Int = 100_000, idleTimeout: Double = 120
    ) {
        self.maxBufferedBytesPerConnection = maxBufferedBytesPerConnection
        self.maxBufferedBytesTotal = maxBufferedBytesTotal
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
    }

    public static let `default` = TCPReassemblerLimits()
}
