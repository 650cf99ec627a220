public import Wire
public import TrafficModel

/// Everything the mock decides, without I/O: a request in, what to answer
/// out, the journal kept along the way. The server holds one of these under
/// a lock and performs its decisions.
public struct MockReplay: Sendable {
    /// Requests under this path prefix are for the mock itself.
    public static let adminPrefix = "/__authreplay/"

    public struct Settings: Hashable, Sendable {
        public var pacing: Pacing
        public var mismatchPolicy: MismatchPolicy
        /// Compare client messages and bodies byte for byte.
        public var exactPayloads: Bool
        /// The status of the answer to an unmatched request.
        public var unmatchedStatus: Int
        /// Misbehaviours on cue (`--fault`).
        public var faults: FaultPlan

        public init(
            pacing: Pacing = .fast, mismatchPolicy: MismatchPolicy = .strict, exactPayloads: Bool = false, unmatchedStatus: Int = 404,
            faults: FaultPlan = FaultPlan()
        ) {
            self.pacing = pacing
            self.mismatchPolicy = mismatchPolicy
            self.exactPayloads = exactPayloads
            self.unmatchedStatus = unmatchedStatus
            self.faults = faults
        }
    }

    public enum Decision: Sendable {
        /// Send this response after `delay` seconds.
        case respond(ReplayedResponse, delay: Double)
        /// Complete the WebSocket upgrade with these extra 101 headers, then run
        /// the session tree; `deflate` is the permessage-deflate agreed on (nil: none).
        case upgrade(reference: RecordedReference, headers: [HeaderField], script: SessionTree, deflate: PerMessageDeflateAgreement?)
        /// An Engine.IO long-polling GET whose recorded answer is not due yet
        /// (the recorded client sent packets before it that this client has
        /// not): ask again once a request of session `engineIOSession` (the
        /// live sid) was handled; after `timeout` seconds (the pingInterval)
        /// answer a heartbeat ping instead, as an Engine.IO server does.
        case hold(engineIOSession: String, timeout: Double)
    }

    public private(set) var matcher: ExchangeMatcher
    public private(set) var journal: [JournalEntry] = []
    /// Engine.IO session ids handed out in place of recorded ones.
    public internal(set) var sessionIDs = EngineIOSessionIDs()
    /// Per live sid: the recorded ack id of each EVENT a long-polling client
    /// POSTed → the id it gave it; the recorded ACKs go out under the live ids.
    var pollingAckIDs: [String: [Int: Int]] = [:]
    /// Per live sid of a long-polling client: the recorded handshake it was
    /// given (what the journal names), when the mock's last unanswered ping
    /// went out (wall-clock seconds), and the sessions closed for want of a pong.
    var pollingHandshakes: [String: RecordedReference] = [:]
    var pollingPingsSent: [String: Double] = [:]
    var pollingClosed: Set<String> = []
    public let settings: Settings
    public let recordingCount: Int
    /// With a test key (`serve --sign-key`): the tokens handed out are re-signed, and mapped back.
    public private(set) var mint: TokenMint?

    /// Every recorded WebSocket session prepared for a session tree once, at
    /// load: its script and its client messages parsed and classified.
    private let candidates: [RecordedReference: SessionTree.Candidate]

    public init(matcher: ExchangeMatcher, recordingCount: Int, settings: Settings, mint: TokenMint? = nil) {
        self.matcher = matcher
        self.recordingCount = recordingCount
        self.settings = settings
        self.mint = mint
        let treeSettings = Self.treeSettings(settings, matcher: matcher, sessionIDs: nil)
        var prepared: [RecordedReference: SessionTree.Candidate] = [:]
        for candidate in matcher.upgradeCandidates { prepared[candidate.reference] = SessionTree.Candidate(candidate, settings: treeSettings) }
        self.candidates = prepared
    }

    /// How session trees judge client messages: the server's settings and the matcher's classifier.
    private static func treeSettings(
        _ settings: Settings, matcher: ExchangeMatcher, sessionIDs: EngineIOSessionIDs?, heartbeat: EngineIOHeartbeat.Parameters? = nil
    ) -> SessionTree.Settings {
        SessionTree.Settings(
            pacing: settings.pacing, policy: settings.mismatchPolicy, exactPayloads: settings.exactPayloads,
            redactor: matcher.redactor, classifier: matcher.classifier, clock: matcher.options.clock,
            exhaustion: matcher.options.exhaustion, nearMissCount: matcher.options.nearMissCount, sessionIDs: sessionIDs,
            heartbeat: heartbeat
        )
    }

    /// A server WebSocket message as the mock sends it: with a test key, every JWT in it re-signed.
    /// - Parameter handedOutAt: when the recording sent it, in seconds since the epoch.
    public mutating func signed(_ message: WebSocketMessage, handedOutAt: Double, now: Double) -> WebSocketMessage {
        guard mint != nil else { return message }
        return mint!.mint(message, handedOutAt: handedOutAt, now: now)
    }

    /// A client WebSocket message with the tokens the mock minted mapped back to the recorded ones.
    public func restore(_ message: WebSocketMessage) -> WebSocketMessage {
        mint?.restore(message) ?? message
    }

    public mutating func reset() {
        matcher.reset()
        journal = []
        // Engine.IO sessions handed out before the reset are forgotten with the pool they came from.
        sessionIDs = EngineIOSessionIDs()
        pollingAckIDs = [:]
        pollingHandshakes = [:]
        pollingPingsSent = [:]
        pollingClosed = []
    }

    public mutating func record(_ entry: JournalEntry) { journal.append(entry) }

    /// What a session tree needs to judge a client message now.
    public func sessionContext(now: Double) -> SessionTree.Context {
        SessionTree.Context(issued: matcher.state.issued, now: now, served: matcher.state.consumed)
    }

    /// A session tree's client messages chose `chosen` over `released`: the pool follows.
    public mutating func chose(_ chosen: RecordedReference, released: RecordedReference?, remaining: Int) {
        matcher.transferServing(from: released, to: chosen)
        journal.append(.webSocketChosen(reference: chosen, released: released, remaining: remaining))
    }

    /// Decides the answer to `request`.
    /// - Parameters:
    ///   - now: wall-clock seconds since the epoch (used only with `--clock now`).
    ///   - canUpgrade: true when the request is a valid WebSocket handshake the edge can complete.
    public mutating func handle(_ request: HTTPRequest, now: Double, canUpgrade: Bool) -> Decision {
        handle(request, now: now, canUpgrade: canUpgrade, prepared: nil)
    }

    /// `prepared`: the request reduced for matching outside the server's lock
    /// (`ExchangeMatcher.Preparer`); used only without a test key, whose
    /// minted tokens are mapped back first.
    mutating func handle(_ request: HTTPRequest, now: Double, canUpgrade: Bool, prepared: ExchangeMatcher.Prepared?) -> Decision {
        if request.path.hasPrefix(Self.adminPrefix) { return .respond(admin(request), delay: 0) }
        let line = "\(request.method) \(request.target)"
        let liveSID = Self.engineIOSessionID(request)
        if let liveSID, let answer = engineIOServerAnswer(request, liveSID: liveSID, now: now) { return answer }
        let recordedSID = liveSID.flatMap { sessionIDs.recorded[$0] }
        let before = matcher
        let taken = recordedSID == nil ? [] : Set(sessionIDs.recorded.filter { $0.key != liveSID }.values)
        let outcome = matcher.match(
            mint?.restore(request) ?? request, now: now, engineIOSession: recordedSID, takenEngineIOSessions: taken,
            prepared: mint == nil ? prepared : nil
        )
        if liveSID == nil { replayAgainIfUsedUp(outcome, request: request) }
        if let liveSID, let recordedSID, let hold = follow(outcome, request: request, liveSID: liveSID, recordedSID: recordedSID) {
            matcher = before  // nothing was served
            return hold
        }
        switch outcome {
        case .matched(let match):
            journal.append(.served(
                request: line, reference: match.reference, status: match.response.status,
                authClass: match.authClass, serving: match.serving, repeated: match.repeated
            ))
            let faults = settings.faults.isEmpty ? FaultPlan.HTTPFaults() : settings.faults.http(match.reference, path: match.exchange.request.path)
            if let status = faults.status {
                for fault in faults.applied { journal.append(.fault(reference: match.reference, fault: fault.spec)) }
                return .respond(.json(status: status, reason: Self.reason(status), .object([
                    ("error", .string("fault injected")), ("fault", .string(faults.applied.first { if case .status = $0.action { true } else { false } }?.spec ?? "")),
                ])), delay: faults.delay)
            }
            if match.exchange.isWebSocketUpgrade || match.response.status == 101 {
                guard canUpgrade else {
                    return .respond(.json(status: 400, reason: "Bad Request", .object([
                        ("error", .string("the recorded answer is a WebSocket upgrade, but this request is not a valid WebSocket handshake (Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version: 13)")),
                        ("recorded", match.reference.json),
                    ])), delay: 0)
                }
                // Every recorded session on this handshake: the client's messages pick one.
                let treeSettings = Self.treeSettings(
                    settings, matcher: matcher, sessionIDs: Self.isEngineIO(request) ? sessionIDs : nil,
                    heartbeat: Self.engineIOSessionID(request).flatMap { sessionIDs.heartbeats[$0] }
                )
                let script = SessionTree(
                    prepared: match.sessions.map { candidates[$0.reference] ?? SessionTree.Candidate($0, settings: treeSettings) },
                    chosen: match.reference, served: matcher.state.consumed, settings: treeSettings
                )
                let deflate = Self.deflateAgreement(recorded: match.response, session: match.session, request: request)
                return .upgrade(
                    reference: match.reference, headers: Self.upgradeHeaders(match.response, extensions: deflate?.header),
                    script: script, deflate: deflate
                )
            }
            // A delay on an upgrade is the WebSocket's (its messages), journaled there.
            for fault in faults.applied { journal.append(.fault(reference: match.reference, fault: fault.spec)) }
            if let stream = match.response.stream {
                let streamed = ReplayedResponse.streaming(
                    match.response, stream: stream, requestAt: match.exchange.request.at, method: request.method,
                    lastEventID: request.headers.first("Last-Event-ID"), pacing: settings.pacing
                )
                return .respond(streamed.response, delay: streamed.headDelay + faults.delay)
            }
            if Self.isEngineIO(request) {
                return .respond(
                    engineIOAnswer(match, request: request, liveSID: liveSID),
                    delay: settings.pacing.delay(forRecordedGap: match.response.at - match.exchange.request.at) + faults.delay
                )
            }
            return .respond(
                ReplayedResponse(recorded: signed(match.response, path: request.path, handedOutAt: match.respondedAt, now: now), method: request.method),
                delay: settings.pacing.delay(forRecordedGap: match.response.at - match.exchange.request.at) + faults.delay
            )
        case .unmatched(let authClass, let nearMisses):
            journal.append(.unmatched(request: line, authClass: authClass, nearMisses: nearMisses))
            if let mint, request.method.uppercased() == "GET", mint.documents.isJWKS(request.path) {
                // A recorded jwks_uri whose document was not recorded: the test key's.
                return .respond(.json(status: 200, reason: "OK", mint.signing.jwks), delay: 0)
            }
            return .respond(.json(status: settings.unmatchedStatus, reason: settings.unmatchedStatus == 404 ? "Not Found" : "Unmatched", .object([
                ("error", .string("no recorded exchange matches this request")),
                ("request", .string(line)),
                ("authClass", .string(authClass.rawValue)),
                ("nearMisses", .array(nearMisses.map(\.json))),
            ])), delay: 0)
        case .exhausted(let reference, let served):
            journal.append(.exhausted(request: line, reference: reference, served: served))
            return .respond(.json(status: settings.unmatchedStatus, reason: settings.unmatchedStatus == 404 ? "Not Found" : "Unmatched", .object([
                ("error", .string("every recorded exchange for this request was already served")),
                ("request", .string(line)),
                ("recorded", reference.json),
                ("served", .int(served)),
            ])), delay: 0)
        }
    }

    /// A new Engine.IO client (a polling handshake) after every recorded
    /// handshake was served plays the recorded session it got again from the
    /// start, as a WebSocket session repeats when the pool is used up; else
    /// its polls would find every answer already served and get only pings.
    mutating func replayAgainIfUsedUp(_ outcome: ExchangeMatcher.Outcome, request: HTTPRequest) {
        guard Self.isPolling(request), case .matched(let match) = outcome, match.repeated,
              let sid = matcher.engineIOSession(of: match.reference)
        else { return }
        matcher.releaseEngineIOSession(sid, keeping: match.reference)
    }

    /// A reason phrase for a status the mock makes up (RFC 9110 §15).
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Fault"
        }
    }

    /// The recorded 101's headers the upgrader does not write itself, with
    /// `Sec-WebSocket-Extensions` replaced by what was agreed with this client
    /// (in the recorded place, or last) or left out when nothing was.
    static func upgradeHeaders(_ response: HTTPResponse, extensions: String?) -> [HeaderField] {
        let handled: Set<String> = ["upgrade", "connection", "sec-websocket-accept", "content-length", "transfer-encoding"]
        var headers: [HeaderField] = []
        var placed = false
        for field in response.headers where !handled.contains(field.name.lowercased()) {
            if field.name.lowercased() == "sec-websocket-extensions" {
                if let extensions, !placed { headers.append(HeaderField(field.name, extensions)) }
                placed = true
            } else {
                headers.append(field)
            }
        }
        if let extensions, !placed { headers.append(HeaderField("Sec-WebSocket-Extensions", extensions)) }
        return headers
    }

    /// permessage-deflate is agreed on only when the recorded server accepted
    /// it and this client offers it; the answer is the recorded one cut down
    /// to what the client's first valid offer allows (RFC 7692 §7.1).
    static func deflateAgreement(recorded response: HTTPResponse, session: Session, request: HTTPRequest) -> PerMessageDeflateAgreement? {
        let recordedHeader = response.headers.all("Sec-WebSocket-Extensions").joined(separator: ", ")
        // A recorded acceptance the client would have rejected is not replayed.
        guard let recorded = try? PerMessageDeflateParameters.negotiated(
            fromResponseHeader: recordedHeader.isEmpty ? session.websocket?.extensions : recordedHeader
        ) else { return nil }
        let offered = request.headers.all("Sec-WebSocket-Extensions").joined(separator: ", ")
        return PerMessageDeflateOffer.offers(fromRequestHeader: offered).first?.accepted(preferring: recorded)
    }

    /// The recorded answer as the mock sends it: with a test key, discovery
    /// and JWKS documents name it and every JWT in it is re-signed.
    private mutating func signed(_ response: HTTPResponse, path: String, handedOutAt: Double, now: Double) -> HTTPResponse {
        guard var mint else { return response }
        defer { self.mint = mint }
        if let document = mint.documents.answer(response, path: path, signing: mint.signing) { return document }
        return mint.mint(response, handedOutAt: handedOutAt, now: now)
    }

    private mutating func admin(_ request: HTTPRequest) -> ReplayedResponse {
        let method = request.method.uppercased()
        switch String(request.path.dropFirst(Self.adminPrefix.count)) {
        case "jwks.json" where method == "GET":
            // Without a test key there is nothing to publish: an empty set, so a client sees why it cannot verify.
            return .json(status: 200, reason: "OK", mint?.signing.jwks ?? .object([("keys", .array([]))]))
        case "health" where method == "GET":
            return .json(status: 200, reason: "OK", .object([
                ("status", .string("ok")), ("recordings", .int(recordingCount)), ("exchanges", .int(matcher.exchangeCount)),
            ]))
        case "journal" where method == "GET":
            return .json(status: 200, reason: "OK", .array(journal.map(\.json)))
        case "reset" where method == "POST":
            reset()
            return .json(status: 200, reason: "OK", .object([("reset", .bool(true))]))
        default:
            return .json(status: 404, reason: "Not Found", .object([
                ("error", .string("unknown admin endpoint; try GET \(Self.adminPrefix)health, GET \(Self.adminPrefix)journal, GET \(Self.adminPrefix)jwks.json, POST \(Self.adminPrefix)reset")),
            ]))
        }
    }
}
