public import TrafficModel

/// A WebSocket message as one direction sent it: a data message rebuilt from
/// its frames, or one control frame.
public struct AssembledWebSocketMessage: Hashable, Sendable {
    public var opcode: WebSocketOpcode
    /// The application data: inflated when `compressed` (unless
    /// `payloadIsCompressed`); for a close frame, the reason bytes only (a
    /// malformed 1-byte close body is kept here as it was).
    public var payload: [UInt8]
    /// A complete, uncompressed (or inflated) text message's payload as a
    /// String; nil when it is not valid UTF-8, and for every other message.
    /// Making the String is how the assembler checks the UTF-8 (RFC 6455
    /// §8.1), so the recording reuses it instead of validating the bytes again.
    public var text: String?
    /// Close frames: the status code, nil when the frame had fewer than 2 bytes.
    public var closeCode: Int?
    /// The message was sent compressed (RSV1 on its first frame).
    public var compressed: Bool
    /// True when inflating failed: `payload` then holds the compressed bytes
    /// exactly as they were on the wire (frames concatenated), so nothing is
    /// lost and a replay can resend them as they were.
    public var payloadIsCompressed: Bool
    /// One entry per frame, in order. A data message whose last frame has
    /// `fin == false` was cut short (a new message began, or the stream ended).
    public var frames: [WebSocketFrameInfo]
    /// Stream offset of the first frame's first byte.
    public var startOffset: Int
    /// Stream offset just past the last frame.
    public var endOffset: Int

    public init(
        opcode: WebSocketOpcode, payload: [UInt8], text: String? = nil, closeCode: Int? = nil, compressed: Bool = false,
        payloadIsCompressed: Bool = false, frames: [WebSocketFrameInfo], startOffset: Int, endOffset: Int
    ) {
        self.opcode = opcode
        self.payload = payload
        self.text = text
        self.closeCode = closeCode
        self.compressed = compressed
        self.payloadIsCompressed = payloadIsCompressed
        self.frames = frames
        self.startOffset = startOffset
        self.endOffset = endOffset
    }

    /// False when the message's last frame did not have FIN set.
    public var isComplete: Bool { frames.last?.fin ?? false }
}

extension AssembledWebSocketMessage {
    /// The recorded form, the one every side uses (a captured, a proxied,
    /// a mock-received and a replay-received message compare equal):
    /// `frames` only when the layout is not one plain frame (fragmented,
    /// unusual RSV bits, or masking against the RFC). A binary message stays
    /// binary even when its bytes happen to be valid UTF-8.
    package func recorded(from direction: Direction, at: Double) -> WebSocketMessage {
        let plain = frames.count == 1 && frames[0].fin && frames[0].rsv == (compressed ? 4 : 0)
            && frames[0].masked == (direction == .client) && !payloadIsCompressed
        let body: Body
        if let text {
            body = .text(text)  // validated once, by the assembler
        } else if opcode == .binary || payloadIsCompressed {
            body = .binary(payload)
        } else {
            body = Body(bytes: payload)
        }
        return WebSocketMessage(
            direction: direction, at: at, opcode: opcode, payload: body, closeCode: closeCode,
            compressed: compressed, frames: plain ? nil : frames
        )
    }
}

/// Something on the wire that broke RFC 6455 / RFC 7692 but did not stop the
/// stream from being followed. The message concerned is still produced.
public struct WebSocketViolation: Hashable, Sendable, CustomStringConvertible {
    /// `.protocolViolation`, `.decompression` or `.limit`.
    public var kind: Anomaly.Kind
    public var detail: String
    /// Stream offset of the frame concerned (the message's first frame for
    /// message-level findings).
    public var offset: Int

    /// The status an endpoint closes with for it (RFC 6455 §7.4.1): 1002
    /// for a protocol error, 1007 for data that is not what the message
    /// type says (invalid UTF-8, deflate data that does not inflate), 1009
    /// for a message over the size limit. A recorder keeps it as an anomaly;
    /// the mock and Replay close with it.
    public var closeCode: Int

    public init(kind: Anomaly.Kind, detail: String, offset: Int, closeCode: Int? = nil) {
        self.kind = kind
        self.detail = detail
        self.offset = offset
        switch kind {
        case .limit: self.closeCode = closeCode ?? 1009
        case .decompression: self.closeCode = closeCode ?? 1007
        default: self.closeCode = closeCode ?? 1002
        }
    }

    public var description: String { "\(kind.rawValue) at stream offset \(offset): \(detail)" }
}

/// What `WebSocketMessageAssembler` found, in wire order. Violations about a
/// message come before the message.
public enum WebSocketAssemblyEvent: Hashable, Sendable {
    case message(AssembledWebSocketMessage)
    case violation(WebSocketViolation)
}
