import TrafficModel
import Wire

/// What the routing half of a capture (packets, reassembly, which
/// connections are kept) hands to the decoding half, for kept connections
/// only. The serial path applies the steps at once; `import --jobs`
/// applies each connection's steps on one of several threads, in order.
enum DecodingStep: Sendable {
    /// A kept connection's decoder, made (and told what the connection
    /// speaks) from its first bytes, before its first `data`.
    case start(ConnectionID, SessionDecoding.DecoderBox)
    /// In-order stream bytes, `at` in seconds since the capture's start.
    case data(ConnectionID, Direction, ArraySlice<UInt8>, at: Double)
    case gap(ConnectionID, Direction, Int, at: Double)
    case finish(ConnectionID, ConnectionEnd)

    var connection: ConnectionID {
        switch self {
        case .start(let id, _), .data(let id, _, _, _), .gap(let id, _, _, _), .finish(let id, _): id
        }
    }

    /// Payload bytes the step holds, for memory budgets.
    var payloadBytes: Int {
        switch self {
        case .data(_, _, let bytes, _): 64 + bytes.count
        case .start, .gap, .finish: 64
        }
    }
}

/// How a kept connection ended, and what the routing half knows of it that
/// its decoder does not.
struct ConnectionEnd: Sendable {
    var kind: TCPCloseKind
    var by: Direction?
    var at: Double
    /// The capture ended early while the connection was open.
    var captureTruncated: Bool
    /// The tunnels of its first segment, when it came through any.
    var outerPath: String?
    /// Datagrams given up in IP fragment reassembly on this connection.
    var lostDatagrams: [Anomaly]
}
