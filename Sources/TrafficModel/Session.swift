/// One TCP connection: its HTTP exchanges in order and, when it was upgraded,
/// its WebSocket messages, then how it ended.
public struct Session: Hashable, Sendable {
    public var id: String
    public var client: Endpoint
    public var server: Endpoint
    /// Seconds since the recording's `capturedAt` when the first packet was seen.
    public var start: Double
    public var exchanges: [HTTPExchange]
    public var websocket: WebSocketSession?
    public var end: SessionEnd?
    public var anomalies: [Anomaly]
    public var auth: [AuthFinding]
    /// The tunnels the connection was captured through, outermost first
    /// (`vxlan vni=42`, `gre > erspan type=2 session=1`); nil for plain traffic.
    /// Set after init, so sessions built without it stay as they are.
    public var outerPath: String?
    /// Set when the connection was TLS (see `TLSInfo`); nil for plaintext.
    public var tls: TLSInfo? = nil
    /// Set when the connection spoke Engine.IO (see `EngineIOLink`): the
    /// logical Socket.IO session it belongs to.
    public var engineIO: EngineIOLink? = nil

    public init(
        id: String, client: Endpoint, server: Endpoint, start: Double,
        exchanges: [HTTPExchange] = [], websocket: WebSocketSession? = nil,
        end: SessionEnd? = nil, anomalies: [Anomaly] = [], auth: [AuthFinding] = []
    ) {
        self.id = id
        self.client = client
        self.server = server
        self.start = start
        self.exchanges = exchanges
        self.websocket = websocket
        self.end = end
        self.anomalies = anomalies
        self.auth = auth
    }
}

/// How a connection ended, as far as the capture saw.
public struct SessionEnd: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Both sides sent FIN (or the proxy saw an orderly close).
        case closed
        /// A TCP RST.
        case reset
        /// The capture ended (or the connection went idle) before the end was seen.
        case cut
    }

    public var kind: Kind
    public var at: Double
    /// The side that closed first or sent the RST; nil when not known.
    public var by: Direction?

    public init(kind: Kind, at: Double, by: Direction?) {
        self.kind = kind
        self.at = at
        self.by = by
    }
}

/// Something that went wrong on the wire. Kept on the session, never fatal.
public struct Anomaly: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Bytes missing from a TCP stream (`bytes` says how many).
        case gap
        /// The capture was cut inside this session (file truncated, snaplen, stop).
        case truncated
        /// The connection's start (SYN) was not captured.
        case midstream
        /// HTTP bytes that did not parse; the rest of the stream is in `data`.
        case malformedHTTP = "malformed-http"
        /// WebSocket bytes that did not parse; the rest of the stream is in `data`.
        case malformedWebSocket = "malformed-websocket"
        /// Parsed, but against the RFC (an unmasked client frame, a bad close code).
        case protocolViolation = "protocol-violation"
        /// permessage-deflate data that did not inflate.
        case decompression
        /// An IP datagram of the connection given up in fragment reassembly
        /// (inconsistent or overlapping fragments, limits); its bytes are a gap.
        case ipFragment = "ip-fragment"
        /// A limit was hit (buffer cap, message size) and data was dropped.
        case limit
        /// Bytes of a protocol authreplay does not decode (after an Upgrade to
        /// something other than WebSocket, or a CONNECT tunnel); kept in `data`.
        case undecoded
        /// The recording proxy could not reach the upstream (refused, TLS
        /// failure, timeout) and answered the client itself (502).
        case upstreamError = "upstream-error"
        /// TLS records that could not be decrypted: no key in the key log for
        /// the connection's client random, an unsupported cipher suite or
        /// version, or a record that failed authentication.
        case tlsUndecryptable = "tls-undecryptable"
    }

    public var kind: Kind
    public var direction: Direction?
    public var at: Double?
    public var detail: String
    /// Bytes missing or affected, when known.
    public var bytes: Int?
    /// Raw bytes kept after a parse failure, so nothing on the wire is lost.
    public var data: Body?

    public init(kind: Kind, direction: Direction? = nil, at: Double? = nil, detail: String, bytes: Int? = nil, data: Body? = nil) {
        self.kind = kind
        self.direction = direction
        self.at = at
        self.detail = detail
        self.bytes = bytes
        self.data = data
    }
}
