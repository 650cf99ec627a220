public import TrafficModel
import Wire

// Engine.IO long-polling as logical sessions. One Engine.IO session's
// polling requests travel on several TCP connections (a GET held open while
// POSTs go out beside it), and two clients polling at once send requests
// that look alike but for their `sid`. The recorded `sid` of each exchange
// (its request's `sid=`, or for the handshake the `open` packet it was
// answered with) ties it to its logical session, which the mock follows
// for a live client's sid (`MockReplay`, `EngineIOSessionIDs`).
extension ExchangeMatcher {
    /// The recorded Engine.IO session a recorded exchange belongs to, or nil.
    public func engineIOSession(of reference: RecordedReference) -> String? {
        entries.first { $0.reference == reference }.flatMap(Self.engineIOSession)
    }

    static func engineIOSession(_ entry: Entry) -> String? {
        if let link = entry.session.engineIO?.sid { return link }
        let pairs = CredentialLocator.queryPairs(entry.exchange.request.query)
        guard EngineIOQuery.isEngineIO(pairs) else { return nil }
        return pairs.first { $0.0 == "sid" }?.1 ?? EngineIOPacket.openSessionID(entry.response.body)
    }

    /// The recorded client packets of Engine.IO session `sid` (long-polling
    /// POSTs, heartbeats aside) sent before the recorded answer to
    /// `reference` and not received from the live client yet: while there
    /// are any, that answer is not due (the recorded server held its GET
    /// until they came; a CONNECT decides what the answer is).
    public func clientPacketsOutstanding(before reference: RecordedReference, engineIOSession sid: String) -> [RecordedReference] {
        guard let answer = entries.first(where: { $0.reference == reference }) else { return [] }
        return entries.filter { entry in
            entry.exchange.request.method.uppercased() == "POST"
                && entry.exchange.request.at < answer.response.at
                && !state.consumed.contains(entry.reference)
                && !EngineIOHeartbeat.isHeartbeatPayload(entry.exchange.request.body)
                && Self.engineIOSession(entry) == sid
        }.map(\.reference)
    }

    /// Of the indices in `group`, those in Engine.IO session `sid`. When
    /// none are (the client's packets choose another recorded session: its
    /// CONNECT's credential only that one had), those of sessions no other
    /// live client follows (`taken`), else the whole group.
    /// Recorded heartbeat answers (a GET answered `2`) are never candidates:
    /// the mock pings live (`MockReplay.Decision.hold`).
    func preferring(engineIOSession sid: String?, taken: Set<String>, _ group: [Int]) -> [Int] {
        guard let sid else { return group }
        let group = group.filter { !EngineIOHeartbeat.isHeartbeatPayload(entries[$0].response.body) }
        let same = group.filter { Self.engineIOSession(entries[$0]) == sid }
        if !same.isEmpty { return same }
        let free = group.filter { isOpen(entries[$0], for: sid, taken: taken) }
        return free.isEmpty ? group : free
    }

    /// An exchange a client following recorded session `sid` may be served:
    /// one of that session's, or of a session no other live client follows.
    func isOpen(_ entry: Entry, for sid: String, taken: Set<String>) -> Bool {
        guard let other = Self.engineIOSession(entry) else { return true }
        return other == sid || !taken.contains(other)
    }
}
