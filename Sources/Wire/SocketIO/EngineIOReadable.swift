public import TrafficModel

// Engine.IO and Socket.IO packets as `inspect` shows them:
// `event "agent_started" {…}`, `ack 3 […]`, `connect_error {…}`, not `42[…]`.
extension SocketIOPacket {
    public var readable: String {
        var words: [String]
        switch type {
        case .connect: words = ["connect"]
        case .disconnect: words = ["disconnect"]
        case .event: words = ["event"]
        case .ack: words = ["ack"]
        case .connectError: words = ["connect_error"]
        case .binaryEvent: words = ["binary event"]
        case .binaryAck: words = ["binary ack"]
        }
        if namespace != "/" { words.append(namespace) }
        let isAck = type == .ack || type == .binaryAck
        if isAck, let ackID { words.append(String(ackID)) }
        switch (type, data) {
        case (.event, .array(let items)?), (.binaryEvent, .array(let items)?):
            words.append(JSONWriter.compact(items[0]))
            words += items.dropFirst().map(JSONWriter.compact)
        case (_, let data?):
            words.append(JSONWriter.compact(data))
        case (_, nil):
            break
        }
        if !isAck, let ackID { words.append("(ack \(ackID))") }
        if let attachments { words.append("(\(attachments) attachment\(attachments == 1 ? "" : "s"))") }
        return words.joined(separator: " ")
    }
}

extension EngineIOPacket {
    /// A message's Socket.IO packet when `socketIO`, else the Engine.IO packet.
    public func readable(socketIO: Bool = true) -> String {
        switch (type, data) {
        case (.message, .binary(let bytes)):
            return socketIO ? "binary attachment <\(bytes.count) bytes>" : "message <\(bytes.count) bytes>"
        case (.message, .text(let text)):
            if socketIO, let packet = try? SocketIOPacket.parse(text) { return packet.readable }
            return "message " + EngineIOPacket.quoted(text)
        case (.open, .text(let text)):
            return "open " + ((try? JSONParser.parse(text)).map(JSONWriter.compact) ?? EngineIOPacket.quoted(text))
        case (_, .text(let text)):
            return text.isEmpty ? type.name : "\(type.name) \(EngineIOPacket.quoted(text))"
        case (_, .binary(let bytes)):
            return "\(type.name) <\(bytes.count) bytes>"
        }
    }
}

/// Which sessions speak Engine.IO, and their payloads made readable.
public enum EngineIOReadable {
    /// A request target with `EIO=` in its query (`/socket.io/?EIO=4&transport=…`).
    public static func speaksEngineIO(_ session: Session) -> Bool {
        session.exchanges.contains { exchange in
            exchange.request.query?.split(separator: "&").contains { $0.hasPrefix("EIO=") } ?? false
        }
    }

    /// The Engine.IO session ids a connection speaks for (from `open`
    /// packets and `sid=` query parameters), joined; nil when none. Every
    /// connection of one logical session (polling requests, the upgrade)
    /// shows the same one, which links them in `inspect`.
    public static func sessionIDs(_ session: Session) -> String? {
        if let link = session.engineIO { return link.sid }
        return foundSessionIDs(session).map { $0.joined(separator: ", ") }
    }

    /// The logical Engine.IO session a connection belongs to, for the
    /// recording (`Session.engineIO`): the first sid it speaks for, and
    /// whether it was upgraded to WebSocket. Nil when it speaks no Engine.IO.
    public static func link(_ session: Session) -> EngineIOLink? {
        guard let sid = foundSessionIDs(session)?.first else { return nil }
        return EngineIOLink(sid: sid, transport: session.websocket != nil ? .websocket : .polling)
    }

    private static func foundSessionIDs(_ session: Session) -> [String]? {
        guard speaksEngineIO(session) else { return nil }
        var found: [String] = []
        func add(_ sid: String?) { if let sid, !sid.isEmpty, !found.contains(sid) { found.append(sid) } }
        for exchange in session.exchanges {
            add(CredentialLocator.queryPairs(exchange.request.query).first { $0.0 == "sid" }?.1)
            add(EngineIOPacket.openSessionID(exchange.response?.body))
        }
        for message in session.websocket?.messages ?? [] where message.direction == .server { add(EngineIOPacket.openSessionID(message.payload)) }
        return found.isEmpty ? nil : found
    }

    /// A WebSocket message of an Engine.IO session, or nil when it is not a packet.
    public static func message(_ message: WebSocketMessage) -> String? {
        switch (message.opcode, message.payload) {
        case (.text, .text(let text)):
            return (try? EngineIOPacket.parse(text: text))?.readable()
        case (.binary, .binary(let bytes)):
            return EngineIOPacket.binaryMessage(bytes).readable()
        case (.binary, .text(let text)):
            return EngineIOPacket.binaryMessage(Array(text.utf8)).readable()
        default:
            return nil
        }
    }

    /// A polling payload (request or response body), packets joined by ` · `;
    /// nil when it is not one (the `ok` a server answers a POST with).
    public static func payload(_ body: Body) -> String? {
        guard case .text(let text) = body, let packets = try? EngineIOPacket.parse(payload: text), !packets.isEmpty else { return nil }
        return packets.map { $0.readable() }.joined(separator: " · ")
    }
}

extension TimelineDecoders {
    /// Engine.IO / Socket.IO sessions decoded (a CONNECT_ERROR, or an event
    /// whose data is an error payload, marked as an error); everything else as usual.
    public static let engineIO = TimelineDecoders(
        message: { session, message in
            guard EngineIOReadable.speaksEngineIO(session), let text = EngineIOReadable.message(message) else { return nil }
            return Decoded(text, isError: EngineIOReadable.reportsError(text))
        },
        body: { session, _, body in
            guard EngineIOReadable.speaksEngineIO(session), let text = EngineIOReadable.payload(body) else { return nil }
            return Decoded(text, isError: EngineIOReadable.reportsError(text))
        },
        session: { session in EngineIOReadable.sessionIDs(session).map { "engine.io sid \($0)" } }
    )
}

extension EngineIOReadable {
    /// A readable packet list that holds a CONNECT_ERROR or an event named like an error.
    static func reportsError(_ readable: String) -> Bool {
        readable.split(separator: "·").contains { packet in
            let text = packet.trimmingPrefix(" ")
            return text.hasPrefix("connect_error") || text.hasPrefix("event \"error") || text.hasPrefix("event \"connect_error")
        }
    }
}
