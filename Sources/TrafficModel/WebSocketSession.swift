/// The WebSocket half of an upgraded connection (RFC 6455).
public struct WebSocketSession: Hashable, Sendable {
    /// The subprotocol the server selected (`Sec-WebSocket-Protocol` of the 101).
    public var subprotocol: String?
    /// The extensions the server accepted (`Sec-WebSocket-Extensions` of the 101).
    public var extensions: String?
    /// Messages in the order they were seen on the wire, both directions;
    /// control frames (ping, pong, close) are messages too.
    public var messages: [WebSocketMessage]

    public init(subprotocol: String? = nil, extensions: String? = nil, messages: [WebSocketMessage] = []) {
        self.subprotocol = subprotocol
        self.extensions = extensions
        self.messages = messages
    }

    /// The first close frame, which is the one that started the closing handshake.
    public var close: (frame: WebSocketMessage, code: Int?)? {
        guard let m = messages.first(where: { $0.opcode == .close }) else { return nil }
        return (m, m.closeCode)
    }
}

public enum WebSocketOpcode: String, Hashable, Sendable, CaseIterable {
    case continuation
    case text
    case binary
    case close
    case ping
    case pong

    /// The opcode's value on the wire.
    public var code: UInt8 {
        switch self {
        case .continuation: return 0x0
        case .text: return 0x1
        case .binary: return 0x2
        case .close: return 0x8
        case .ping: return 0x9
        case .pong: return 0xA
        }
    }

    public init?(code: UInt8) {
        switch code {
        case 0x0: self = .continuation
        case 0x1: self = .text
        case 0x2: self = .binary
        case 0x8: self = .close
        case 0x9: self = .ping
        case 0xA: self = .pong
        default: return nil
        }
    }

    public var isControl: Bool { code & 0x8 != 0 }
}

/// One WebSocket message (a data message reassembled from its frames, or a
/// control frame).
public struct WebSocketMessage: Hashable, Sendable {
    public var direction: Direction
    /// Seconds since `capturedAt` when the message's last frame was complete.
    public var at: Double
    public var opcode: WebSocketOpcode
    /// The application payload: decompressed when `compressed`; for a close
    /// frame, the reason only (the code is `closeCode`).
    public var payload: Body
    /// Close frames: the status code, nil when the frame had no body.
    public var closeCode: Int?
    /// True when the message was sent compressed (RSV1, permessage-deflate).
    public var compressed: Bool
    /// Frame layout, present only when it differs from one plain frame:
    /// fragmented, other RSV bits, or unmasked from a client.
    public var frames: [WebSocketFrameInfo]?

    public init(
        direction: Direction, at: Double, opcode: WebSocketOpcode, payload: Body,
        closeCode: Int? = nil, compressed: Bool = false, frames: [WebSocketFrameInfo]? = nil
    ) {
        self.direction = direction
        self.at = at
        self.opcode = opcode
        self.payload = payload
        self.closeCode = closeCode
        self.compressed = compressed
        self.frames = frames
    }

    public var closeReason: String? {
        guard opcode == .close else { return nil }
        return payload.text ?? ""
    }
}

/// The layout of one frame of a message, enough to put it back on the wire
/// the same way.
public struct WebSocketFrameInfo: Hashable, Sendable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    /// RSV1..3 as a 3-bit value (RSV1 = 4).
    public var rsv: UInt8
    /// Payload length on the wire (compressed length when compressed).
    public var length: Int
    public var masked: Bool

    public init(fin: Bool, opcode: WebSocketOpcode, rsv: UInt8 = 0, length: Int, masked: Bool) {
        self.fin = fin
        self.opcode = opcode
        self.rsv = rsv
        self.length = length
        self.masked = masked
    }
}
