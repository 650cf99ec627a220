public import TrafficModel

/// Where a replay difference belongs in a session's timeline. Replay labels
/// every difference with the step it concerns (`exchange 2 (GET /api/me): …`,
/// `handshake (GET /ws): …`, `server message 1: …`, `close: …`), so the report
/// can show it next to the recorded message instead of in a pile.
public enum DifferenceAnchor: Hashable, Sendable {
    /// The response of the exchange at this index (0-based).
    case response(exchange: Int)
    /// The n-th (0-based) server data message of the WebSocket (close frames aside, as Replay counts).
    case serverMessage(Int)
    /// The WebSocket close.
    case close
    /// Nothing more precise: the session as a whole.
    case session

    /// The anchor of one difference line of `session`.
    public static func of(_ difference: String, in session: Session) -> DifferenceAnchor {
        if let n = number(after: "exchange ", in: difference), n >= 1, n <= session.exchanges.count {
            return .response(exchange: n - 1)
        }
        if difference.hasPrefix("handshake") {
            // The upgrade is the exchange answered 101, else the last one (a refused upgrade).
            let index = session.exchanges.firstIndex { $0.response?.status == 101 } ?? session.exchanges.indices.last
            return index.map { .response(exchange: $0) } ?? .session
        }
        if let n = number(after: "server message ", in: difference), n >= 1 {
            let count = session.websocket?.messages.filter { $0.direction == .server && $0.opcode != .close }.count ?? 0
            return n <= count ? .serverMessage(n - 1) : .close
        }
        if difference.hasPrefix("close:") { return .close }
        return .session
    }

    /// The number right after `prefix` at the start of `text`.
    private static func number(after prefix: String, in text: String) -> Int? {
        guard text.hasPrefix(prefix) else { return nil }
        return Int(text.dropFirst(prefix.count).prefix { $0.isNumber })
    }
}
