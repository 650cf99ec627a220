// The ack id inside an Engine.IO message's Socket.IO packet (`421["run",…]`,
// `431[…]`), found and replaced without parsing the JSON after it: the mock
// matches a client's EVENT whatever id the client numbered it with, and
// answers the recorded ACK under the client's id.
extension SocketIOPacket {
    /// The ack id of an Engine.IO message packet (`4`, then a Socket.IO
    /// packet) and where its digits are, or nil when it has none.
    public static func ackID(inEngineIOMessage text: String) -> (id: Int, range: Range<String.Index>)? {
        let utf8 = text.utf8
        var i = utf8.startIndex
        guard i != utf8.endIndex, utf8[i] == UInt8(ascii: "4") else { return nil }
        i = utf8.index(after: i)
        guard i != utf8.endIndex, let type = PacketType(rawValue: Int(utf8[i]) - Int(UInt8(ascii: "0"))) else { return nil }
        i = utf8.index(after: i)
        if type == .binaryEvent || type == .binaryAck {
            while i != utf8.endIndex, isASCIIDigit(utf8[i]) { i = utf8.index(after: i) }
            guard i != utf8.endIndex, utf8[i] == UInt8(ascii: "-") else { return nil }
            i = utf8.index(after: i)
        }
        if i != utf8.endIndex, utf8[i] == UInt8(ascii: "/") {
            while i != utf8.endIndex, utf8[i] != UInt8(ascii: ",") { i = utf8.index(after: i) }
            guard i != utf8.endIndex else { return nil }
            i = utf8.index(after: i)
        }
        let start = i
        while i != utf8.endIndex, isASCIIDigit(utf8[i]) { i = utf8.index(after: i) }
        // The id is followed by the packet's array (an EVENT's or an ACK's data).
        guard i != start, i != utf8.endIndex, utf8[i] == UInt8(ascii: "["),
              let id = Int(String(decoding: utf8[start..<i], as: UTF8.self))
        else { return nil }
        return (id, start..<i)
    }

    /// The message with its ack id replaced by `id` (unchanged when it has none).
    public static func replacingAckID(inEngineIOMessage text: String, with id: Int) -> String {
        guard let found = ackID(inEngineIOMessage: text) else { return text }
        var out = text
        out.replaceSubrange(found.range, with: String(id))
        return out
    }

    /// The message without its ack id (unchanged when it has none).
    public static func removingAckID(inEngineIOMessage text: String) -> String {
        guard let found = ackID(inEngineIOMessage: text) else { return text }
        var out = text
        out.removeSubrange(found.range)
        return out
    }

    /// The ack ids of a long-polling payload's packets (`\u{1E}`-separated), in order.
    public static func ackIDs(inPollingPayload text: String) -> [Int] {
        text.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false).compactMap { ackID(inEngineIOMessage: String($0))?.id }
    }

    /// A long-polling payload with each packet's ack id passed through `map`
    /// (kept where it returns nil): the ACKs the mock sends under the live
    /// client's ids, as `SessionTree` does on a WebSocket.
    public static func mappingAckIDs(inPollingPayload text: String, _ map: (Int) -> Int?) -> String {
        guard text.contains("[") else { return text }
        let pieces = text.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false).map { piece -> String in
            let packet = String(piece)
            guard let found = ackID(inEngineIOMessage: packet), let mapped = map(found.id) else { return packet }
            return replacingAckID(inEngineIOMessage: packet, with: mapped)
        }
        return pieces.joined(separator: String(EngineIOPacket.separator))
    }

    /// A long-polling payload without its packets' ack ids (how the mock
    /// compares a client's POST: whatever ids it numbered its EVENTs with).
    public static func removingAckIDs(inPollingPayload text: String) -> String {
        guard text.contains("[") else { return text }
        return text.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false)
            .map { removingAckID(inEngineIOMessage: String($0)) }
            .joined(separator: String(EngineIOPacket.separator))
    }

    private static func isASCIIDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
