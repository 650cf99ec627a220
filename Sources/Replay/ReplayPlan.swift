public import Wire
public import TrafficModel

/// What to replay: every selected session's client side, in recorded order,
/// and what the recording says should come back. Pure: recordings and a
/// selection in, a plan out.
public struct ReplayPlan: Sendable {
    public var sessions: [SessionPlan]
    /// Sessions that were selected but have nothing to send (no HTTP request
    /// was captured), with the reason.
    public var skipped: [(name: String, reason: String)]
    /// Recorded credentials and the sessions that issued them, for chaining.
    public var issued: [IssuedCredential]

    /// A recording to replay, with the name it is reported under (its file).
    public struct Input: Sendable {
        public var name: String
        public var recording: Recording

        public init(name: String, recording: Recording) {
            self.name = name
            self.recording = recording
        }
    }

    /// Builds the plan. `sessions` selects by id (`s2`) or, with several
    /// recordings, by `FILE#id`; empty selects every session. A session whose
    /// requests use a token issued by another session pulls that session in
    /// (it runs first, so the live token can be chained), and a connection of
    /// a logical Engine.IO session pulls in the session's other connections.
    public static func build(
        _ inputs: [Input], sessions selection: [String] = [], target: ReplayTarget,
        locator: CredentialLocator = .default
    ) throws(ReplayError) -> ReplayPlan {
        var all: [(name: String, input: Int, session: Session)] = []
        for (i, input) in inputs.enumerated() {
            for session in input.recording.sessions {
                let name = inputs.count > 1 ? "\(input.name)#\(session.id)" : session.id
                all.append((name, i, session))
            }
        }
        var selected = Set<Int>()
        for wanted in selection {
            let matches = all.indices.filter { all[$0].name == wanted || all[$0].session.id == wanted }
            guard !matches.isEmpty else {
                let known = all.map(\.name).joined(separator: ", ")
                throw ReplayError(
                    .unknownSession, "no session \"\(wanted)\" in the recordings (sessions: \(known.isEmpty ? "none" : known))",
                    location: ErrorLocation(session: wanted))
            }
            selected.formUnion(matches)
        }
        if selection.isEmpty { selected = Set(all.indices) }

        // Issued credentials per recording, the earliest issue of a value wins
        // (as AuthAnalyzer links them).
        var responses: [(index: Int, exchange: Int, response: HTTPResponse)] = []
        for (index, entry) in all.enumerated() {
            for (e, exchange) in entry.session.exchanges.enumerated() {
                if let response = exchange.response { responses.append((index, e, response)) }
            }
        }
        responses.sort { (all[$0.index].input, $0.response.at, $0.index, $0.exchange) < (all[$1.index].input, $1.response.at, $1.index, $1.exchange) }
        var issued: [IssuedCredential] = []
        var seen = Set<String>()
        for (index, e, response) in responses {
            let entry = all[index]
            for credential in locator.issued(in: response) where seen.insert("\(entry.input)\u{0}\(credential.value)").inserted {
                issued.append(IssuedCredential(
                    input: entry.input, planIndex: index, session: entry.name, exchange: e,
                    location: credential.location, value: credential.value, at: response.at
                ))
            }
        }

        // Pull in the issuers of every token a selected session presents.
        func dependencies(_ index: Int) -> [Int] {
            let entry = all[index]
            var found: [Int] = []
            for text in clientTexts(entry.session) {
                for credential in issued where credential.input == entry.input && credential.planIndex != index {
                    if text.contains(credential.value), !found.contains(credential.planIndex) { found.append(credential.planIndex) }
                }
            }
            return found
        }
        // And the other connections of a selected connection's logical Engine.IO
        // session: its requests carry a sid only the session's handshake learns live.
        func engineIOSession(_ index: Int) -> [Int] {
            guard let sid = EngineIOReadable.sessionIDs(all[index].session) else { return [] }
            return all.indices.filter { $0 != index && all[$0].input == all[index].input && EngineIOReadable.sessionIDs(all[$0].session) == sid }
        }
        var queue = Array(selected)
        while let next = queue.popLast() {
            for dep in dependencies(next) + engineIOSession(next) where selected.insert(dep).inserted { queue.append(dep) }
        }

        var plans: [SessionPlan] = []
        var skipped: [(name: String, reason: String)] = []
        // Recorded order: by recording, then by session start.
        let order = selected.sorted { a, b in
            (all[a].input, all[a].session.start, a) < (all[b].input, all[b].session.start, b)
        }
        for index in order {
            let entry = all[index]
            guard !entry.session.exchanges.isEmpty else {
                skipped.append((name: entry.name, reason: "no HTTP request was captured (the capture started midstream or the connection carried nothing)"))
                continue
            }
            plans.append(SessionPlan(
                name: entry.name, recording: inputs[entry.input].name, recordingIndex: entry.input,
                session: entry.session, steps: steps(entry.session, target: target),
                dependsOn: dependencies(index).map { all[$0].name },
                capturedAt: inputs[entry.input].recording.capturedAt
            ))
        }
        return ReplayPlan(sessions: plans, skipped: skipped, issued: issued)
    }

    /// Every piece of text the client sent in a session: targets, header
    /// values, bodies, WebSocket payloads. Where credentials are looked for.
    static func clientTexts(_ session: Session) -> [String] {
        var texts: [String] = []
        for exchange in session.exchanges {
            texts.append(exchange.request.target)
            texts += exchange.request.headers.map(\.value)
            if let body = exchange.request.body?.text { texts.append(body) }
        }
        for message in session.websocket?.messages ?? [] where message.direction == .client {
            if let text = message.payload.text { texts.append(text) }
        }
        return texts
    }

    static func steps(_ session: Session, target: ReplayTarget) -> [ReplayStep] {
        var steps: [ReplayStep] = []
        for (e, exchange) in session.exchanges.enumerated() {
            var request = exchange.request
            request.headers = request.headers.map { field in
                field.name.lowercased() == "host" ? HeaderField(field.name, target.authority) : field
            }
            let isUpgradeRequest = request.headers.listElements("Upgrade").contains { $0.lowercased() == "websocket" }
            if isUpgradeRequest {
                let messages = exchange.isWebSocketUpgrade ? session.websocket?.messages ?? [] : []
                let engineIO = EngineIOReadable.speaksEngineIO(session)
                steps.append(.webSocket(WebSocketStep(
                    exchange: e, handshake: request, expectedResponse: exchange.response, engineIO: engineIO,
                    script: WebSocketStep.script(messages, engineIO: engineIO), expectedClose: WebSocketStep.expectedClose(session, upgraded: exchange.isWebSocketUpgrade),
                    deflateOffer: WebSocketStep.deflateOffer(request: request, response: exchange.response, session: session)
                )))
                // Nothing after an upgrade is HTTP any more.
                if exchange.isWebSocketUpgrade { break }
            } else {
                steps.append(.http(HTTPStep(exchange: e, request: request, expectedResponse: exchange.response)))
            }
        }
        return steps
    }
}

/// One session's replay.
public struct SessionPlan: Sendable {
    /// The session id, or `FILE#id` when several recordings are replayed.
    public var name: String
    public var recording: String
    public var recordingIndex: Int
    public var session: Session
    public var steps: [ReplayStep]
    /// Sessions whose issued tokens this one presents; they run first.
    public var dependsOn: [String]
    public var capturedAt: Timestamp
}

public enum ReplayStep: Sendable {
    case http(HTTPStep)
    case webSocket(WebSocketStep)

    /// The recorded request (or handshake) and its exchange index.
    public var request: (exchange: Int, request: HTTPRequest) {
        switch self {
        case .http(let step): return (step.exchange, step.request)
        case .webSocket(let step): return (step.exchange, step.handshake)
        }
    }
}

public struct HTTPStep: Sendable {
    public var exchange: Int
    /// The recorded request, Host rewritten for the target.
    public var request: HTTPRequest
    public var expectedResponse: HTTPResponse?
}

public struct WebSocketStep: Sendable {
    public var exchange: Int
    /// The recorded handshake, Host rewritten; the driver puts a fresh
    /// Sec-WebSocket-Key in place of the recorded one (same position).
    public var handshake: HTTPRequest
    public var expectedResponse: HTTPResponse?
    /// An Engine.IO session: the driver answers the live server's heartbeat
    /// pings (`2` → `3`) without comparing them, and renumbers Socket.IO ack ids.
    public var engineIO = false
    public var script: [ScriptItem]
    public var expectedClose: CloseOutcome?
    /// The `Sec-WebSocket-Extensions` field to send in place of the recorded
    /// one: permessage-deflate when the recorded server accepted it, nil
    /// (no extension offered) otherwise.
    public var deflateOffer: HeaderField?

    /// Offered when no recorded offer is usable: permessage-deflate letting
    /// the server pick the client's window (RFC 7692 §7.1.2.2).
    public static let standardDeflateOffer = "permessage-deflate; client_max_window_bits"

    /// The recorded request's permessage-deflate offer when it offers only
    /// that (another extension could be accepted and not be understood), else
    /// the standard offer; nil when the recorded 101 (or the session's
    /// `extensions`) did not accept permessage-deflate.
    static func deflateOffer(request: HTTPRequest, response: HTTPResponse?, session: Session) -> HeaderField? {
        let recordedAnswer = response?.headers.all("Sec-WebSocket-Extensions").joined(separator: ", ") ?? ""
        let accepted = recordedAnswer.isEmpty ? session.websocket?.extensions : recordedAnswer
        // A recorded acceptance a client would have rejected is not asked for again.
        guard (try? PerMessageDeflateParameters.negotiated(fromResponseHeader: accepted)) != nil else { return nil }
        let name = request.headers.first { $0.name.lowercased() == "sec-websocket-extensions" }?.name ?? "Sec-WebSocket-Extensions"
        let offered = request.headers.all("Sec-WebSocket-Extensions").joined(separator: ", ")
        let elements = offered.split(separator: ",").map { String($0).trimmed() }
        let onlyDeflate = !elements.isEmpty && elements.allSatisfy { $0.lowercased().hasPrefix("permessage-deflate") }
        if onlyDeflate, PerMessageDeflateOffer.offers(fromRequestHeader: offered).count == elements.count {
            return HeaderField(name, offered)
        }
        return HeaderField(name, standardDeflateOffer)
    }

    /// What to do, in recorded order. Pings and pongs are left out: the
    /// driver answers pings itself and their timing is not the server's logic.
    /// So are an Engine.IO session's heartbeat packets (`2`, `3`), for the same reason.
    public enum ScriptItem: Sendable, Equatable {
        /// Send this client message once `afterServerMessages` server
        /// messages (data and close frames) have arrived, or the wait timed out.
        case send(WebSocketMessage, afterServerMessages: Int)
        /// The server's next message should look like this one.
        case expect(WebSocketMessage)
    }

    static func script(_ messages: [WebSocketMessage], engineIO: Bool = false) -> [ScriptItem] {
        var items: [ScriptItem] = []
        var serverCount = 0
        for message in messages where message.opcode != .ping && message.opcode != .pong {
            if engineIO, EngineIOHeartbeat.isHeartbeat(message) { continue }
            switch message.direction {
            case .server:
                items.append(.expect(message))
                serverCount += 1
            case .client:
                items.append(.send(message, afterServerMessages: serverCount))
            }
        }
        return items
    }

    static func expectedClose(_ session: Session, upgraded: Bool) -> CloseOutcome? {
        guard upgraded else { return nil }
        if let close = session.websocket?.messages.first(where: { $0.opcode == .close }) {
            return CloseOutcome(code: close.closeCode, by: close.direction, frame: true)
        }
        guard let end = session.end, end.kind != .cut else { return nil }
        return CloseOutcome(code: nil, by: end.by, frame: false)
    }

    /// Server messages the script expects (data and close frames).
    public var expectedServerMessages: [WebSocketMessage] {
        script.compactMap { if case .expect(let m) = $0 { return m } else { return nil } }
    }
}

/// How a WebSocket connection ended: who sent the first close frame and
/// its code, or, without a close frame, which side dropped the connection.
public struct CloseOutcome: Hashable, Sendable {
    public var code: Int?
    public var by: Direction?
    /// False when the TCP connection ended without a close frame.
    public var frame: Bool

    public init(code: Int?, by: Direction?, frame: Bool) {
        self.code = code
        self.by = by
        self.frame = frame
    }

    public var description: String {
        let who = by.map { "by the \($0.rawValue)" } ?? "by an unknown side"
        guard frame else { return "connection dropped \(who) without a close frame" }
        return "close \(code.map(String.init) ?? "(no code)") \(who)"
    }
}

/// A credential a recorded response issued.
public struct IssuedCredential: Sendable, Hashable {
    var input: Int
    var planIndex: Int
    public var session: String
    public var exchange: Int
    /// `body:$.access_token`, `set-cookie:sid`.
    public var location: String
    public var value: String
    var at: Double
}
