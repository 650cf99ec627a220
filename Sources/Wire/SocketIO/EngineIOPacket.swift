public import TrafficModel

/// One Engine.IO protocol 4 packet (the transport under Socket.IO v3+):
/// a type digit, then its data. Text packets travel as WebSocket text
/// frames or, over HTTP long-polling, as a payload of packets separated by
/// U+001E (record separator); binary data travels as a WebSocket binary
/// frame (a message packet, no type byte) or, in a polling payload, as `b`
/// and base64. Pure; protocol 3's length-prefixed payloads are not parsed.
public struct EngineIOPacket: Hashable, Sendable {
    public enum PacketType: Int, Hashable, Sendable, CaseIterable {
        case open = 0, close, ping, pong, message, upgrade, noop

        public var name: String {
            switch self {
            case .open: return "open"
            case .close: return "close"
            case .ping: return "ping"
            case .pong: return "pong"
            case .message: return "message"
            case .upgrade: return "upgrade"
            case .noop: return "noop"
            }
        }
    }

    public var type: PacketType
    /// The data after the type: text, or the bytes of a binary message.
    public var data: Body

    public init(type: PacketType, data: Body) {
        self.type = type
        self.data = data
    }

    /// The record separator between packets of a polling payload.
    public static let separator: Character = "\u{1E}"

    /// A text packet (a WebSocket text frame, or one packet of a payload).
    /// `offset` only places errors.
    public static func parse(text: String, offset: Int = 0) throws(WireError) -> EngineIOPacket {
        guard let first = text.utf8.first else {
            throw WireError(.invalidEngineIOPacket, offset: offset, reason: "an empty packet has no type")
        }
        let digit = Int(first) - Int(UInt8(ascii: "0"))
        guard let type = PacketType(rawValue: digit) else {
            throw WireError(.invalidEngineIOPacket, offset: offset, reason: "packet type \(Self.quoted(text.prefix(1))) is not 0 to 6")
        }
        return EngineIOPacket(type: type, data: .text(String(text.dropFirst())))
    }

    /// A WebSocket binary frame: in protocol 4, the data of a message packet.
    public static func binaryMessage(_ bytes: [UInt8]) -> EngineIOPacket {
        EngineIOPacket(type: .message, data: .binary(bytes))
    }

    /// An HTTP long-polling payload (a GET answer or a POST body): packets
    /// separated by U+001E, `b<base64>` for binary data.
    public static func parse(payload: String) throws(WireError) -> [EngineIOPacket] {
        var packets: [EngineIOPacket] = []
        var offset = 0
        for piece in payload.split(separator: separator, omittingEmptySubsequences: false) {
            if piece.utf8.first == UInt8(ascii: "b") {
                guard let bytes = Base64.decode(String(piece.dropFirst())) else {
                    throw WireError(.invalidEngineIOPacket, offset: offset, reason: "binary packet is not valid base64")
                }
                packets.append(binaryMessage(bytes))
            } else {
                packets.append(try parse(text: String(piece), offset: offset))
            }
            offset += piece.utf8.count + 1
        }
        return packets
    }

    /// The `sid` of the open packet a polling payload or WebSocket message
    /// starts with (`0{"sid":"…",…}`), or nil.
    public static func openSessionID(_ payload: Body?) -> String? {
        openPacket(payload)?["sid"]?.stringValue
    }

    /// The JSON of the `open` packet a polling payload or WebSocket message
    /// starts with (`sid`, `upgrades`, `pingInterval`, `pingTimeout`, `maxPayload`), or nil.
    public static func openPacket(_ payload: Body?) -> JSONValue? {
        guard case .text(let text)? = payload, text.hasPrefix("0{"),
              let packet = try? parse(payload: text).first, packet.type == .open,
              case .text(let json) = packet.data
        else { return nil }
        return try? JSONParser.parse(json)
    }

    static func quoted(_ text: some StringProtocol) -> String {
        JSONWriter.compact(.string(String(text)))
    }
}
