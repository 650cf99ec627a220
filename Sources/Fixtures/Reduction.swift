public import TrafficModel

/// What of a recording to keep, and the recording that is left: whole
/// sessions, a session's exchanges, a WebSocket's client steps. Pure.
///
/// A client step is a client data or close message with what the server
/// sent after it until the next one (its answer), so a step removed takes its
/// answer along. What the server sent before the first client message (a
/// greeting), and a close the server started, with everything after it,
/// always stay: they are how the conversation opens and ends.
public enum Reduction {
    /// One WebSocket client step: the messages it spans.
    public struct Step: Sendable, Hashable {
        public var messages: Range<Int>
    }

    /// The client steps of a session's WebSocket, in order.
    public static func steps(of session: Session) -> [Step] {
        guard let messages = session.websocket?.messages else { return [] }
        let firstClose = messages.firstIndex { $0.opcode == .close }
        // A close the server started ends the reducible part.
        let end = firstClose.flatMap { messages[$0].direction == .server ? $0 : nil } ?? messages.count
        var starts: [Int] = []
        for (i, m) in messages[..<end].enumerated() where m.direction == .client && m.opcode != .ping && m.opcode != .pong {
            if let firstClose, i > firstClose { break }
            starts.append(i)
        }
        return starts.enumerated().map { n, start in
            Step(messages: start..<(n + 1 < starts.count ? starts[n + 1] : end))
        }
    }

    /// The recording with only `sessions` (indices, in order); for each kept
    /// session index, `exchanges` and `steps` name what stays of it (all
    /// when absent). A session left without its upgrade exchange loses its
    /// WebSocket. Auth findings follow their exchanges.
    public static func keep(
        _ recording: Recording, sessions: [Int], exchanges: [Int: [Int]] = [:], steps: [Int: [Int]] = [:]
    ) -> Recording {
        var result = recording
        // Old (session id, exchange) → new exchange index, for issuedBy references.
        var renumbered: [String: [Int: Int]] = [:]
        var kept: [Session] = []
        for s in sessions {
            var session = recording.sessions[s]
            let keepExchanges = exchanges[s] ?? Array(session.exchanges.indices)
            var map: [Int: Int] = [:]
            for (new, old) in keepExchanges.enumerated() { map[old] = new }
            renumbered[session.id] = map
            let upgrade = session.exchanges.lastIndex { $0.isWebSocketUpgrade }
            session.exchanges = keepExchanges.map { session.exchanges[$0] }
            if let upgrade, map[upgrade] == nil { session.websocket = nil }
            if let keepSteps = steps[s], let messages = session.websocket?.messages {
                let all = Self.steps(of: recording.sessions[s])
                var dropped = Set<Int>()
                for (i, step) in all.enumerated() where !keepSteps.contains(i) { dropped.formUnion(step.messages) }
                session.websocket?.messages = messages.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
            }
            session.auth = session.auth.compactMap { finding in
                guard let new = map[finding.exchange] else { return nil }
                var finding = finding
                finding.exchange = new
                return finding
            }
            kept.append(session)
        }
        for s in kept.indices {
            kept[s].auth = kept[s].auth.map { finding in
                var finding = finding
                if let ref = finding.issuedBy {
                    if let new = renumbered[ref.session]?[ref.exchange] {
                        finding.issuedBy?.exchange = new
                    } else {
                        finding.issuedBy = nil
                    }
                }
                return finding
            }
        }
        result.sessions = kept
        return result
    }
}
