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

    /// The mock answered a held poll of live session `sid` with a ping at `now` (wall-clock seconds).
    public mutating func sentPollingPing(engineIOSession sid: String, at now: Double) {
        if pollingPingsSent[sid] == nil { pollingPingsSent[sid] = now }
    }

    /// A long-polling session whose client let a ping go unanswered past the
    /// pingTimeout is closed, as an Engine.IO server closes it: this request
    /// and every later one with its sid get engine.io's 400 (`Session ID
    /// unknown`), and the journal says why once. Nil while the session lives.
    mutating func pollingTimeout(_ sid: String, request: HTTPRequest, line: String, now: Double) -> Decision? {
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
