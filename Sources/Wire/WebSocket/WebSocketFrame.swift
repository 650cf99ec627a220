public import TrafficModel

/// One WebSocket frame (RFC 6455 §5.2) as it was on the wire, payload unmasked.
public struct WebSocketFrame: Hashable, Sendable {
    public var fin: Bool
    /// RSV1..3 as a 3-bit value (RSV1 = 4).
    public var rsv: UInt8
    /// The 4-bit opcode as sent; may be a reserved value (see `opcode`).
    public var opcodeCode: UInt8
    public var masked: Bool
    /// The masking key as sent (network order), when `masked`.
    public var maskingKey: UInt32?
    /// The payload, already unmasked.
    public var payload: [UInt8]
    /// True when the payload length used a longer encoding than needed
    /// (RFC 6455 §5.2: "the minimal number of bytes MUST be used").
    public var nonMinimalLength: Bool
    /// Offset of the frame's first byte in this direction's stream.
    public var startOffset: Int
    /// Offset just past the frame's last byte.
    public var endOffset: Int

    public init(
        fin: Bool, rsv: UInt8 = 0, opcodeCode: UInt8, masked: Bool, maskingKey: UInt32? = nil,
        payload: [UInt8], nonMinimalLength: Bool = false, startOffset: Int, endOffset: Int
    ) {
        self.fin = fin
        self.rsv = rsv
        self.opcodeCode = opcodeCode
        self.masked = masked
        self.maskingKey = maskingKey
        self.payload = payload
        self.nonMinimalLength = nonMinimalLength
        self.startOffset = startOffset
        self.endOffset = endOffset
    }

    /// The opcode, nil for the reserved values 0x3–0x7 and 0xB–0xF.
    public var opcode: WebSocketOpcode? { WebSocketOpcode(code: opcodeCode) }

    /// Total bytes the frame took on the wire (header + payload).
    public var wireLength: Int { endOffset - startOffset }
}
