import NIOCore
import TrafficModel
import Wire

/// What has come back on a live WebSocket so far.
struct LiveWebSocket {
    var messages: [WebSocketMessage] = []
    var close: CloseOutcome?
    var sentClose = false
    var ended = false
    var failure: String?
    /// An Engine.IO session: a server heartbeat ping (`2`) is answered with
    /// a pong (`3`) at once and is not one of the compared messages.
    var answersEngineIOPings = false
    var pingsAnswered = 0

    /// Takes events until `count` server messages (data and close) have
    /// arrived, the server's close frame arrived (nothing can follow it, RFC
    /// 6455 §5.5.1, and the server is now waiting for the client's answer), the
    /// connection ended, or the deadline passed. `pastTheClose` keeps going
    /// after the close frame, until the connection ends.
    mutating func receive(
        from connection: ReplayConnection, until count: Int, deadline: NIODeadline, pastTheClose: Bool = false, transcript: inout Transcript
    ) async {
        while messages.count < count, !ended, pastTheClose || close?.by != .server {
            let event: ConnectionEvent?
            do {
                event = try await connection.next(deadline: deadline)
            } catch {
                failure = ReplayConnection.describe(error)
                ended = true
                return
            }
            switch event {
            case .message(let m):
                transcript.message(m)
                if answersEngineIOPings, EngineIOHeartbeat.isPing(m) {
                    // Never compared; answered until the client's close went out (nothing may follow it).
                    guard !sentClose else { continue }
                    let pong = WebSocketMessage(direction: .client, at: 0, opcode: .text, payload: .text(EngineIOHeartbeat.pong))
                    transcript.message(pong)
                    try? await connection.send(pong)
                    pingsAnswered += 1
                    continue
                }
                messages.append(m)
                if m.opcode == .close, close == nil { close = CloseOutcome(code: m.closeCode, by: .server, frame: true) }
            case .response, .streamHead, .event:
                continue
            case .closed:
                ended = true
                transcript.ended(by: close?.by ?? .server)
                if close == nil { close = CloseOutcome(code: nil, by: .server, frame: false) }
            case .failed(let reason):
                failure = reason
                ended = true
                transcript.failed(reason)
            case nil:
                return
            }
        }
    }
}
