public import TrafficModel

extension ConnectionDecoder {
    /// Feeds the requests and responses completed since the last call to
    /// `tracker`, in the order they completed, and keeps the findings on the
    /// session. Every source that records through a decoder (packets, the
    /// proxy) shares one tracker per run, so a token issued on one
    /// connection is recognised when another presents it.
    package mutating func trackAuth(_ tracker: inout AuthTracker) {
        guard !completed.isEmpty else { return }
        for item in completed {
            switch item {
            case .request(let e):
                session.auth += tracker.observe(request: session.exchanges[e].request, session: session.id, exchange: e)
            case .response(let e):
                if let response = session.exchanges[e].response {
                    session.auth += tracker.observe(response: response, session: session.id, exchange: e)
                }
            case .message(let m):
                if let message = session.websocket?.messages[m], !session.exchanges.isEmpty {
                    session.auth += tracker.observe(message: message, session: session.id, exchange: session.exchanges.count - 1)
                }
            }
        }
        completed = []
    }
}
