public import TrafficModel

/// One Socket.IO protocol 5 packet (socket.io v3+), the data of an
/// Engine.IO message packet:
///
///     <type>[<attachments>-][<namespace>,][<ack id>][<JSON>]
///
/// `2["agent_started",{…}]`, `40/admin,{"token":…}`, `431["ok"]`,
/// `451-["upload",{"_placeholder":true,"num":0}]`. Binary attachments follow
/// a BINARY_EVENT or BINARY_ACK as their own Engine.IO messages. Pure.
public struct SocketIOPacket: Hashable, Sendable {
    public enum PacketType: Int, Hashable, Sendable, CaseIterable {
        case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck
    }

    public var type: PacketType
    /// `/` unless the packet names another.
    public var namespace: String
    public var ackID: Int?
    /// How many binary attachments follow (BINARY_EVENT, BINARY_ACK only).
    public var attachments: Int?
    /// The JSON after the header: CONNECT's auth object, an EVENT's
    /// `[name, args…]`, an ACK's `[args…]`, CONNECT_ERROR's `{message, data}`.
    public var data: JSONValue?

    public init(type: PacketType, namespace: String = "/", ackID: Int? = nil, attachments: Int? = nil, data: JSONValue? = nil) {
        self.type = type
        self.namespace = namespace
        self.ackID = ackID
        self.attachments = attachments
        self.data = data
    }

    /// The event name of an EVENT or BINARY_EVENT (its first array element).
    public var eventName: String? {
        guard type == .event || type == .binaryEvent, case .array(let items)? = data else { return nil }
        return items.first?.stringValue
    }

    public static func parse(_ text: String) throws(WireError) -> SocketIOPacket {
        let bytes = Array(text.utf8)
        var i = 0
        guard let first = bytes.first, let type = PacketType(rawValue: Int(first) - Int(UInt8(ascii: "0"))) else {
            throw WireError(.invalidSocketIOPacket, offset: 0, reason: "packet type \(EngineIOPacket.quoted(text.prefix(1))) is not 0 to 6")
        }
        i = 1
        var packet = SocketIOPacket(type: type)
        if type == .binaryEvent || type == .binaryAck {
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > start, i < bytes.count, bytes[i] == UInt8(ascii: "-"), let count = Int(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                throw WireError(.invalidSocketIOPacket, offset: start, reason: "a binary packet needs its attachment count and \"-\"")
            }
            packet.attachments = count
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "/") {
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ",") { i += 1 }
            packet.namespace = String(decoding: bytes[start..<i], as: UTF8.self)
            if i < bytes.count { i += 1 }
        }
        let idStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        if i > idStart {
            guard let id = Int(String(decoding: bytes[idStart..<i], as: UTF8.self)) else {
                throw WireError(.invalidSocketIOPacket, offset: idStart, reason: "ack id is too large")
            }
            packet.ackID = id
        }
        if i < bytes.count {
            do {
                packet.data = try JSONParser.parse(bytes[i...])
            } catch {
                throw WireError(.invalidSocketIOPacket, offset: i, reason: "the data is not JSON: \(error.reason)")
            }
        }
        switch type {
        case .event, .binaryEvent:
            guard case .array(let items)? = packet.data, !items.isEmpty else {
                throw WireError(.invalidSocketIOPacket, offset: i, reason: "an EVENT carries a non-empty array ([name, args…])")
            }
        case .ack, .binaryAck:
            guard packet.ackID != nil else { throw WireError(.invalidSocketIOPacket, offset: idStart, reason: "an ACK needs its ack id") }
        case .connect, .disconnect, .connectError:
            break
        }
        return packet
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
