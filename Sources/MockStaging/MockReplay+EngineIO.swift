public import Wire
public import TrafficModel

// Engine.IO in the mock's decisions: which requests speak it, the answers an
// Engine.IO server makes itself (`ok` to a POST, a ping to a poll with
// nothing due), fresh sids and live ack ids in recorded answers, and the
// close of a long-polling session whose client stopped answering pings.
extension MockReplay {
    static func isEngineIO(_ request: HTTPRequest) -> Bool {
        EngineIOQuery.isEngineIO(CredentialLocator.queryPairs(request.query))
    }

    /// What an Engine.IO server answers itself, before any matching: `ok` to
    /// a pong (heartbeats are the mock's own, never matched), and engine.io's
    /// 400 once the session was closed for want of a pong. Nil otherwise.
    mutating func engineIOServerAnswer(_ request: HTTPRequest, liveSID: String, now: Double) -> Decision? {
        if let ended = pollingTimeout(liveSID, now: now) { return ended }
        guard request.method.uppercased() == "POST", EngineIOHeartbeat.isHeartbeatPayload(request.body) else { return nil }
        pollingPingsSent[liveSID] = nil
        return .respond(Self.pollingOK, delay: 0)
    }

    /// A request of live Engine.IO session `liveSID` (which follows recorded
    /// session `recordedSID`) was matched: the session follows the client's
    /// packets, and a long-poll whose recorded answer is not due (or that has
    /// nothing left to say) is held. Returns the hold, after which the caller
    /// forgets the match; nil to serve it.
    mutating func follow(_ outcome: ExchangeMatcher.Outcome, request: HTTPRequest, liveSID: String, recordedSID: String) -> Decision? {
        let hold = Decision.hold(engineIOSession: liveSID, timeout: sessionIDs.heartbeats[liveSID]?.pingInterval ?? Self.defaultPingInterval)
        let longPoll = Self.isPolling(request) && request.method.uppercased() == "GET"
        guard case .matched(let match) = outcome, !(longPoll && match.repeated) else {
            // Every recorded answer served, or only heartbeats left: a live ping will answer it.
            return longPoll ? hold : nil
        }
        let matchedSID = matcher.engineIOSession(of: match.reference) ?? recordedSID
        if matchedSID != recordedSID, request.method.uppercased() == "POST" {
            // Only another recorded session had this client's packets (its CONNECT's credential): follow it.
            sessionIDs.rebind(fresh: liveSID, to: matchedSID)
        }
        if longPoll, !matcher.clientPacketsOutstanding(before: match.reference, engineIOSession: matchedSID).isEmpty { return hold }
        if case .text(let recorded)? = match.exchange.request.body, case .text(let live)? = request.body {
            let recordedIDs = SocketIOPacket.ackIDs(inPollingPayload: recorded)
            let liveIDs = SocketIOPacket.ackIDs(inPollingPayload: live)
            if !recordedIDs.isEmpty, recordedIDs.count == liveIDs.count {
                for (r, l) in zip(recordedIDs, liveIDs) { pollingAckIDs[liveSID, default: [:]][r] = l }
            }
        }
        return nil
    }

    /// A recorded Engine.IO answer as sent: fresh sids, the live ack ids, and
    /// the handshake remembered for the sid it hands out.
    mutating func engineIOAnswer(_ match: ExchangeMatcher.Match, request: HTTPRequest, liveSID: String?) -> ReplayedResponse {
        let answer = freshSessionIDs(ReplayedResponse(recorded: match.response, method: request.method), acks: liveSID.flatMap { pollingAckIDs[$0] } ?? [:])
        if let handedOut = EngineIOPacket.openSessionID(.text(String(decoding: answer.body, as: UTF8.self))) {
            pollingHandshakes[handedOut] = match.reference
        }
        return answer
    }

    /// The mock answered a held poll of live session `sid` with a ping at `now` (wall-clock seconds).
    public mutating func sentPollingPing(engineIOSession sid: String, at now: Double) {
        if pollingPingsSent[sid] == nil { pollingPingsSent[sid] = now }
    }

    /// A long-polling session whose client let a ping go unanswered past the
    /// pingTimeout is closed, as an Engine.IO server closes it: this request
    /// and every later one with its sid get engine.io's 400 (`Session ID
    /// unknown`), and the journal says why once. Nil while the session lives.
    mutating func pollingTimeout(_ sid: String, now: Double) -> Decision? {
        if !pollingClosed.contains(sid) {
            // (A pong that comes after the timeout is too late too: the server closed the session first.)
            guard let sent = pollingPingsSent[sid], let timeout = sessionIDs.heartbeats[sid]?.pingTimeout, now - sent > timeout else { return nil }
            pollingClosed.insert(sid)
            pollingPingsSent[sid] = nil
            if let reference = pollingHandshakes[sid] {
                record(.sessionEnded(reference: reference, how: "engine.io ping timeout: no pong within \(Int((timeout * 1000).rounded())) ms (long-polling)"))
            }
        }
        return .respond(.json(status: 400, reason: "Bad Request", .object([("code", .int(1)), ("message", .string("Session ID unknown"))])), delay: 0)
    }

    /// engine.io's default pingInterval, for a session whose open packet did not say.
    static let defaultPingInterval = 25.0

    /// What an Engine.IO server answers a long-polling POST with.
    static let pollingOK = ReplayedResponse(
        status: 200, reason: "OK", headers: [HeaderField("Content-Type", "text/html"), HeaderField("Content-Length", "2")], body: Array("ok".utf8)
    )

    /// A held long-polling GET's answer when nothing came within the pingInterval: a ping packet.
    static let pollingPing = ReplayedResponse(
        status: 200, reason: "OK", headers: [HeaderField("Content-Type", "text/plain; charset=UTF-8"), HeaderField("Content-Length", "1")],
        body: Array(EngineIOHeartbeat.ping.utf8)
    )

    /// An Engine.IO long-polling request (`transport=polling`).
    static func isPolling(_ request: HTTPRequest) -> Bool {
        CredentialLocator.queryPairs(request.query).contains { $0.0 == "transport" && $0.1 == "polling" }
    }

    /// The `sid` of an Engine.IO request (a polling request or an upgrade), or nil.
    static func engineIOSessionID(_ request: HTTPRequest) -> String? {
        let pairs = CredentialLocator.queryPairs(request.query)
        guard EngineIOQuery.isEngineIO(pairs) else { return nil }
        return pairs.first { $0.0 == "sid" }?.1
    }

    /// A polling answer with its `open` packet's sid made fresh (and every
    /// recorded sid handed out before replaced) and its ACKs under the live
    /// client's ack ids (`acks`: recorded → live), its Content-Length kept true.
    mutating func freshSessionIDs(_ response: ReplayedResponse, acks: [Int: Int] = [:]) -> ReplayedResponse {
        guard let text = String(validating: response.body, as: UTF8.self) else { return response }
        guard case .text(var rewritten) = sessionIDs.rewrite(.text(text)) else { return response }
        if !acks.isEmpty { rewritten = SocketIOPacket.mappingAckIDs(inPollingPayload: rewritten) { acks[$0] } }
        guard rewritten != text else { return response }
        var out = response
        out.body = Array(rewritten.utf8)
        out.headers = out.headers.map { $0.name.lowercased() == "content-length" ? HeaderField($0.name, String(out.body.count)) : $0 }
        return out
    }
}
