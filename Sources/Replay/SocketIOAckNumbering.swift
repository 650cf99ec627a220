import TrafficModel
import Wire

/// Socket.IO ack ids as Replay sends them: the recorded client's EVENTs
/// (`421["run",…]`) go out numbered fresh in this run (0, 1, 2… in send
/// order, socket.io-client's own numbering), and the server's ACK to one
/// (`430[…]`) is read back under the recorded id before it is compared, so
/// a diff never depends on which counter the recorded client or the live
/// server used. An ACK for an id this run never sent keeps its id and
/// shows up in the diff.
struct SocketIOAckNumbering {
    private var next = 0
    /// Live id → recorded id.
    private var recorded: [Int: Int] = [:]

    /// A client message about to be sent, its ack id (if any) renumbered.
    mutating func outgoing(_ message: WebSocketMessage) -> WebSocketMessage {
        guard message.opcode == .text, case .text(let text) = message.payload,
              let found = SocketIOPacket.ackID(inEngineIOMessage: text)
        else { return message }
        let live = next
        next += 1
        recorded[live] = found.id
        var out = message
        out.payload = .text(SocketIOPacket.replacingAckID(inEngineIOMessage: text, with: live))
        out.frames = nil  // the length may have changed: one plain frame
        return out
    }

    /// The renumbering for the session's notes (`socket.io ack ids sent fresh: recorded 1 as 0`), nil when none.
    var note: String? {
        guard !recorded.isEmpty else { return nil }
        let pairs = recorded.sorted { $0.key < $1.key }.map { "recorded \($0.value) as \($0.key)" }
        return "socket.io ack ids sent fresh: " + pairs.joined(separator: ", ")
    }

    /// A server message as compared: an ACK to an id this run sent carries the recorded id.
    func incoming(_ message: WebSocketMessage) -> WebSocketMessage {
        guard message.opcode == .text, case .text(let text) = message.payload,
              let found = SocketIOPacket.ackID(inEngineIOMessage: text), let original = recorded[found.id]
        else { return message }
        var out = message
        out.payload = .text(SocketIOPacket.replacingAckID(inEngineIOMessage: text, with: original))
        return out
    }

    /// A long-polling POST body about to be sent: each packet's ack id
    /// renumbered as `outgoing` does on a WebSocket.
    mutating func outgoing(pollingPayload text: String) -> String {
        SocketIOPacket.mappingAckIDs(inPollingPayload: text) { id in
            let live = next
            next += 1
            recorded[live] = id
            return live
        }
    }

    /// A long-polling GET answer as compared: ACKs to ids this run sent carry the recorded id.
    func incoming(pollingPayload text: String) -> String {
        SocketIOPacket.mappingAckIDs(inPollingPayload: text) { recorded[$0] }
    }
}
