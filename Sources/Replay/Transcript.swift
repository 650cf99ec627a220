public import TrafficModel

/// What the target really did in one replayed session, kept as a recorded
/// session: the requests as sent (tokens chained), the live responses, the
/// WebSocket messages both ways and how the connection ended. `variants`
/// writes it out as a fixture; `minimize` asks it whether an outcome
/// happened. Times are seconds since the session's first request.
struct Transcript {
    private let started: ContinuousClock.Instant
    private(set) var session: Session

    init(of recorded: Session, target: ReplayTarget, started: ContinuousClock.Instant = .now) {
        self.started = started
        session = Session(
            id: recorded.id, client: recorded.client, server: Endpoint(host: target.host, port: UInt16(clamping: target.port)),
            start: 0
        )
    }

    /// Seconds since the session started, to the microsecond.
    var now: Double {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (seconds * 1e6).rounded() / 1e6
    }

    mutating func sent(_ request: HTTPRequest) {
        var request = request
        request.at = now
        session.exchanges.append(HTTPExchange(request: request, response: nil))
    }

    mutating func received(_ response: HTTPResponse) {
        guard !session.exchanges.isEmpty else { return }
        var response = response
        response.at = now
        session.exchanges[session.exchanges.count - 1].response = response
        if response.status == 101 {
            session.websocket = WebSocketSession(
                subprotocol: response.headers.first("Sec-WebSocket-Protocol"),
                extensions: response.headers.first("Sec-WebSocket-Extensions")
            )
        }
    }

    mutating func message(_ message: WebSocketMessage) {
        var message = message
        message.at = now
        message.frames = nil
        session.websocket?.messages.append(message)
    }

    mutating func ended(by side: Direction?, kind: SessionEnd.Kind = .closed) {
        guard session.end == nil else { return }
        session.end = SessionEnd(kind: kind, at: now, by: side)
    }

    mutating func failed(_ reason: String) {
        session.anomalies.append(Anomaly(kind: .protocolViolation, direction: .server, at: now, detail: reason))
    }
}
