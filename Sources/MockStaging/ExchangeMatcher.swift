public import TrafficModel

/// Matches live requests to recorded exchanges. Pure and deterministic: the
/// replay positions and the tokens handed out live in this value, time is
/// passed in, and the same calls always give the same answers.
public struct ExchangeMatcher: Sendable {
    public struct Options: Hashable, Sendable {
        /// When the exchanges for a match key have all been served: repeat the last, or refuse.
        public enum Exhaustion: String, Hashable, Sendable { case repeatLast, fail }

        /// The moment JWT `exp`/`nbf` are judged at.
        public enum Clock: String, Hashable, Sendable {
            /// The recording's own time of use: recorded tokens never expire on replay.
            case recorded
            /// The wall clock (passed to `match` as `now`), to reproduce expiry bugs.
            case now
        }

        public var exhaustion: Exhaustion
        public var clock: Clock
        /// Compare request bodies byte for byte instead of JSON-aware.
        public var exactPayloads: Bool
        /// How many near misses an unmatched request is explained with.
        public var nearMissCount: Int

        public init(exhaustion: Exhaustion = .repeatLast, clock: Clock = .recorded, exactPayloads: Bool = false, nearMissCount: Int = 3) {
            self.exhaustion = exhaustion
            self.clock = clock
            self.exactPayloads = exactPayloads
            self.nearMissCount = nearMissCount
        }
    }

    /// A recorded exchange, prepared for matching.
    struct Entry: Sendable {
        var reference: RecordedReference
        var exchange: HTTPExchange
        var response: HTTPResponse
        var session: Session
        var shape: RequestShape
        var authClass: AuthClass
        /// When the request was made, in seconds since the epoch (the virtual clock).
        var moment: Double
        /// The credentials the recorded response hands out, found once at load.
        var issued: [String]

        /// The recorded answer switched to WebSocket: the session's messages follow.
        var isUpgrade: Bool { exchange.isWebSocketUpgrade || response.status == 101 }
    }

    /// When a credential was issued in the recording, and when this run served it.
    struct IssuedMoment: Hashable, Sendable {
        var recorded: Double
        var served: Double
    }

    /// What the matcher remembers between requests. `reset()` empties it.
    public struct State: Hashable, Sendable {
        /// Group of recorded exchanges (indices into the entries) → how many were served.
        var served: [[Int]: Int] = [:]
        /// Credentials handed out by responses served in this run.
        public internal(set) var issued: Set<String> = []
        /// For each of those: when the recording issued it (its clock) and
        /// when this run served it (the wall clock). A token the mock served
        /// ages in real time from its recorded issuance, so a client that
        /// waits past its `exp` presents an expired token, as it would have
        /// against the real service.
        var issuedAt: [String: IssuedMoment] = [:]
        /// Recorded exchanges taken from the pool: a match key is served
        /// first-unserved-first; a WebSocket session's client messages may
        /// hand its place to a sibling (`transferServing`).
        public internal(set) var consumed: Set<RecordedReference> = []
    }

    /// A recorded WebSocket session the client may be in after a handshake:
    /// every upgrade sharing the handshake's match key, in recorded order.
    public struct SessionCandidate: Sendable {
        public var reference: RecordedReference
        public var session: Session
        /// When the 101 was sent, in recording time.
        public var upgradedAt: Double
        /// The recording's start, in seconds since the epoch (its virtual clock).
        public var epoch: Double
        /// Credentials the recording issued, with when (recording time): the
        /// class of a credential in a recorded client message is judged with
        /// those issued before it.
        public var issued: [(at: Double, value: String)]
    }

    public struct Match: Sendable {
        public var reference: RecordedReference
        public var exchange: HTTPExchange
        public var response: HTTPResponse
        /// The recorded session, for a 101 (its WebSocket half is the script).
        public var session: Session
        /// The class the live request was given.
        public var authClass: AuthClass
        /// 1 for the first serving of this exchange's group, counting on.
        public var serving: Int
        /// True when the group was exhausted and its last exchange is repeated.
        public var repeated: Bool
        /// True when the credential matched the recorded one exactly.
        public var exactCredential: Bool
        /// When the recording sent the response, in seconds since the epoch (its virtual clock).
        public var respondedAt: Double
        /// For an upgrade: every recorded session sharing this handshake, in
        /// recorded order (this one among them); empty otherwise.
        public var sessions: [SessionCandidate]
    }

    public enum Outcome: Sendable {
        case matched(Match)
        /// Nothing matched; the nearest recorded requests and what differed.
        case unmatched(authClass: AuthClass, nearMisses: [NearMiss])
        /// Matched, but every exchange of the group was served (with `.fail`).
        case exhausted(reference: RecordedReference, served: Int)
    }

    public let options: Options
    public let classifier: AuthClassifier
    /// Set when a served recording was redacted: live requests (and client
    /// WebSocket messages) are redacted the same way before they are compared,
    /// so the original credential and the pseudonym the mock handed out both match.
    public let redactor: Redactor?
    let entries: [Entry]
    /// Entries by method and path (`RequestShape.route`), in recorded order:
    /// a live request is compared only with those that can be the same request.
    let routes: [String: [Int]]
    /// Per recording: the credentials its responses issued, in time order.
    let issuedTimelines: [[(at: Double, value: String)]]
    public private(set) var state = State()

    /// - Parameter recordings: each with the name used in explanations (a file name).
    /// - Parameter redactionRules: the rules the recordings were redacted with, applied to live
    ///   requests when any recording says `redaction.enabled`.
    public init(
        recordings: [(name: String, recording: Recording)], classifier: AuthClassifier = AuthClassifier(), options: Options = Options(),
        redactionRules: RedactionRules = .default
    ) {
        self.options = options
        let redacting = recordings.contains { $0.recording.redaction?.enabled == true }
        self.redactor = redacting ? Redactor(rules: redactionRules) : nil
        // A pseudonymized signature cannot be verified: judge it as unverified, not invalid.
        var classifier = classifier
        if redacting, let verifier = classifier.verifier { classifier.verifier = RedactedSignatureVerifier(base: verifier) }
        self.classifier = classifier
        var entries: [Entry] = []
        var timelines: [[(at: Double, value: String)]] = []
        for (r, named) in recordings.enumerated() {
            let recording = named.recording
            let epoch = recording.capturedAt.seconds
            // Tokens issued earlier in the recording make later requests "issued".
            var order: [(session: Int, exchange: Int)] = []
            for (s, session) in recording.sessions.enumerated() {
                for e in session.exchanges.indices { order.append((s, e)) }
            }
            order.sort {
                let a = recording.sessions[$0.session].exchanges[$0.exchange].request.at
                let b = recording.sessions[$1.session].exchanges[$1.exchange].request.at
                return (a, $0.session, $0.exchange) < (b, $1.session, $1.exchange)
            }
            var issued: Set<String> = []
            var timeline: [(at: Double, value: String)] = []
            for (s, e) in order {
                let session = recording.sessions[s]
                let exchange = session.exchanges[e]
                let moment = epoch + exchange.request.at
                let shape = RequestShape(exchange.request, classifier: classifier)
                if let response = exchange.response {
                    let handedOut = classifier.locator.issued(in: response).map(\.value)
                    entries.append(Entry(
                        reference: RecordedReference(recording: r, recordingName: named.name, session: session.id, exchange: e),
                        exchange: exchange, response: response, session: session, shape: shape,
                        authClass: classifier.classify(shape.auth, issued: issued, at: moment), moment: moment, issued: handedOut
                    ))
                    for value in handedOut {
                        issued.insert(value)
                        timeline.append((response.at, value))
                    }
                }
            }
            timelines.append(timeline.sorted { $0.at < $1.at })
        }
        self.entries = entries
        self.routes = Dictionary(grouping: entries.indices, by: { entries[$0].shape.route })
        self.issuedTimelines = timelines
    }

    /// The number of recorded exchanges that can be served.
    public var exchangeCount: Int { entries.count }

    /// Forgets replay positions and issued tokens.
    public mutating func reset() { state = State() }

    /// Matches `request`; `now` (seconds since the epoch) is used only with the `.now` clock.
    /// - Parameter engineIOSession: the recorded Engine.IO session the live
    ///   client's `sid` stands for: its exchanges are preferred (see
    ///   `ExchangeMatcher+EngineIO`); `takenEngineIOSessions`, those other live clients follow.
    public mutating func match(
        _ request: HTTPRequest, now: Double, engineIOSession: String? = nil, takenEngineIOSessions: Set<String> = []
    ) -> Outcome {
        match(request, now: now, engineIOSession: engineIOSession, takenEngineIOSessions: takenEngineIOSessions, prepared: nil)
    }

    /// A live request reduced for matching. Depends on nothing the run
    /// changes, so the server makes it before taking the lock the run's
    /// state is under (`SharedState.handle`).
    struct Prepared: Sendable {
        var live: RequestShape
        /// Signatures the test key verified (`TokenAuthority.verifiedInputs`).
        var verified: Set<String>
    }

    /// What `Prepared` needs: the classifier and the redactor, both fixed at load.
    struct Preparer: Sendable {
        let classifier: AuthClassifier
        let redactor: Redactor?

        func prepare(_ request: HTTPRequest) -> Prepared {
            Prepared(
                live: RequestShape(redactor?.redact(request: request) ?? request, classifier: classifier),
                verified: classifier.authority?.verifiedInputs(in: request) ?? []
            )
        }
    }

    var preparer: Preparer { Preparer(classifier: classifier, redactor: redactor) }

    /// `prepared`: `request` already reduced by `preparer` (nil: reduced here).
    mutating func match(
        _ request: HTTPRequest, now: Double, engineIOSession: String?, takenEngineIOSessions: Set<String>, prepared: Prepared?
    ) -> Outcome {
        let prepared = prepared ?? preparer.prepare(request)
        let live = prepared.live
        let verified = prepared.verified
        var liveClasses: [Double: AuthClass] = [:]
        // The virtual moment of a token this run served: its recorded issuance plus the time since it was served.
        let issuedAt = state.issuedAt
        // A served JWT re-signed by someone else (a forged signature on the same claims) is as old as the one served.
        let servedMoment = live.auth.values.compactMap { issuedAt[$0] ?? Self.unsignedPart($0).flatMap { unsigned in
            issuedAt.first { Self.unsignedPart($0.key) == unsigned }?.value
        } }.first.map { $0.recorded + max(0, now - $0.served) }
        func liveClass(for entry: Entry) -> AuthClass {
            let moment = options.clock == .now ? now : servedMoment ?? entry.moment
            if let known = liveClasses[moment] { return known }
            let computed = classifier.classify(live.auth, issued: state.issued, at: moment, now: now, verified: verified)
            liveClasses[moment] = computed
            return computed
        }

        let sameRequest = (routes[live.route] ?? []).filter { entries[$0].shape.sameRequest(as: live, exact: options.exactPayloads) }
        // Exact credential equality wins; otherwise class (and JWT `sub`) decides.
        let liveValues = live.auth.values
        // (a served token that has aged past its expiry no longer matches a recorded valid use of it)
        var group = sameRequest.filter {
            !liveValues.isEmpty && !entries[$0].shape.auth.values.isDisjoint(with: liveValues)
                && (servedMoment == nil || entries[$0].authClass == liveClass(for: entries[$0]))
        }
        // Engine.IO: a credential exactly as recorded in a session another live client follows
        // (two clients given the same login) does not pull this client into it: judged by class.
        if let engineIOSession, !group.isEmpty, !group.contains(where: { isOpen(entries[$0], for: engineIOSession, taken: takenEngineIOSessions) }) {
            group = []
        }
        let exact = !group.isEmpty
        if !exact {
            // The live class exactly, else one it stands in for (a failed test-key signature for a recorded `unknown`).
            for strict in [true, false] where group.isEmpty {
                group = sameRequest.filter { i in
                    let entry = entries[i]
                    let presentedClass = liveClass(for: entry)
                    guard strict ? entry.authClass == presentedClass : presentedClass.standsIn(for: entry.authClass) else { return false }
                    if let recorded = entry.shape.auth.subject, let presented = live.auth.subject { return recorded == presented }
                    return true
                }
            }
        }

        group = preferring(engineIOSession: engineIOSession, taken: takenEngineIOSessions, group)
        guard let first = group.first else {
            let nearest = nearMisses(live, liveClass: liveClass)
            // The class as judged against the nearest recorded request (its moment, with the recorded clock).
            let judged = nearest.first.map { liveClass(for: entries[$0.entry]) }
                ?? classifier.classify(live.auth, issued: state.issued, at: now, now: now, verified: verified)
            return .unmatched(authClass: judged, nearMisses: nearest.map(\.miss))
        }
        let served = state.served[group, default: 0]
        // First unserved in recorded order (FIFO), then the last one again.
        let unserved = group.first { !state.consumed.contains(entries[$0].reference) && entries[$0].shape.accept == live.accept }
            ?? group.first { !state.consumed.contains(entries[$0].reference) }
        if unserved == nil, options.exhaustion == .fail {
            return .exhausted(reference: entries[group[group.count - 1]].reference, served: served)
        }
        let picked = unserved ?? group[group.count - 1]
        state.served[group] = served + 1
        state.consumed.insert(entries[picked].reference)
        let entry = entries[picked]
        for value in entry.issued {
            state.issued.insert(value)
            // Handed out again (a repeated login gives the recorded token once more): it ages from now.
            state.issuedAt[value] = IssuedMoment(recorded: entry.moment + entry.response.at - entry.exchange.request.at, served: now)
        }
        let sessions = entry.isUpgrade ? group.filter { entries[$0].isUpgrade }.map(sessionCandidate) : []
        return .matched(Match(
            reference: entry.reference, exchange: entry.exchange, response: entry.response, session: entry.session,
            authClass: liveClass(for: entries[first]), serving: served + 1, repeated: unserved == nil,
            exactCredential: exact, respondedAt: entry.moment + entry.response.at - entry.exchange.request.at, sessions: sessions
        ))
    }

    /// A JWT's `header.payload` (what its signature covers), or nil for anything else.
    static func unsignedPart(_ token: String) -> Substring? {
        guard token.hasPrefix("eyJ"), let dot = token.lastIndex(of: "."), token[..<dot].contains(".") else { return nil }
        return token[..<dot]
    }

    /// Every recorded WebSocket session the matcher can hand out, in recorded order.
    public var upgradeCandidates: [SessionCandidate] { entries.indices.filter { entries[$0].isUpgrade }.map(sessionCandidate) }

    private func sessionCandidate(_ index: Int) -> SessionCandidate {
        let entry = entries[index]
        return SessionCandidate(
            reference: entry.reference, session: entry.session, upgradedAt: entry.response.at,
            epoch: entry.moment - entry.exchange.request.at, issued: issuedTimelines[entry.reference.recording]
        )
    }

    /// Puts recorded Engine.IO session `sid`'s exchanges back in the pool
    /// (all but `reference`, just served): a new live client replays it.
    mutating func releaseEngineIOSession(_ sid: String, keeping reference: RecordedReference) {
        for entry in entries where entry.reference != reference && Self.engineIOSession(entry) == sid {
            state.consumed.remove(entry.reference)
        }
    }

    /// A WebSocket session's client messages chose `chosen` instead of the
    /// session taken at the handshake (`released`): the pool follows, so the
    /// next client with the same handshake and messages gets the next one.
    public mutating func transferServing(from released: RecordedReference?, to chosen: RecordedReference) {
        if let released { state.consumed.remove(released) }
        state.consumed.insert(chosen)
    }

    private func nearMisses(_ live: RequestShape, liveClass: (Entry) -> AuthClass) -> [(entry: Int, miss: NearMiss)] {
        let misses = entries.map { entry in
            NearMiss(
                reference: entry.reference,
                recordedRequest: "\(entry.exchange.request.method) \(entry.exchange.request.target)",
                differences: NearMiss.differences(
                    recorded: entry.shape, recordedClass: entry.authClass,
                    live: live, liveClass: liveClass(entry), exact: options.exactPayloads
                )
            )
        }
        // Stable: ties keep recorded order.
        let ranked = misses.enumerated().sorted { ($0.element.distance, $0.offset) < ($1.element.distance, $1.offset) }
        var seen = Set<String>()
        var nearest: [(entry: Int, miss: NearMiss)] = []
        for (index, miss) in ranked where nearest.count < options.nearMissCount {
            // One per distinct recorded request line and difference set.
            let key = miss.recordedRequest + miss.differences.map(\.description).joined(separator: "|")
            if seen.insert(key).inserted { nearest.append((index, miss)) }
        }
        return nearest
    }
}
