public import TrafficModel
public import Wire

/// The recorded WebSocket sessions that share a handshake, played as one
/// script whose branch the client's own messages choose.
///
/// A handshake alone cannot tell a client that will send a valid token in
/// its first message from one that sends a forged one or none: the sessions
/// start alike and part at a client message. So the tree keeps every
/// candidate and walks them in lockstep: server messages are sent while the
/// candidates agree on them (when they part before the client speaks, the
/// leader's branch is kept: recorded order); each client message keeps the
/// candidates whose recorded message it matches (credentials by auth class),
/// and the first of those in recorded order, unserved first, leads.
///
/// A state machine like `SessionScript`: mutating methods return an action,
/// the caller performs it; what the run knows (issued tokens, the pool, the
/// time) comes in as a `Context`. No I/O, no clock.
///
/// The pool is read when a message arrives and written when the leader
/// changes (`.chose`), not held across: two clients with the same handshake
/// and messages at the same moment may both get the same recorded session,
/// as two clients one after the other do not.
public struct SessionTree: Sendable {
    public enum Action: Hashable, Sendable {
        /// Send this message after `delay` seconds, then call `next()`.
        case send(WebSocketMessage, delay: Double)
        /// Wait for a client message, then call `received(_:context:)`.
        case awaitClient
        /// Answer a ping the recording did not have.
        case pong(Body)
        /// Nothing to do (a client pong, an ignored message in lenient mode).
        case none(differences: [String])
        /// The client's messages chose `chosen` to lead instead of `released`
        /// (the session the pool gave at the handshake): move the serving
        /// over, then call `next()`.
        case chose(RecordedReference, released: RecordedReference?, remaining: Int)
        /// The message matched no candidate, and every candidate's recorded
        /// server rejects at this point (error frames and a close): journal
        /// the differences, then call `next()`, which plays `reference`'s rejection.
        case rejected(differences: [String], reference: RecordedReference)
        /// Send a close frame with this code and reason, then close the connection.
        case close(code: Int?, reason: String, differences: [String])
        /// Close the connection without a close frame.
        case cut
        /// Close the connection (the closing handshake is done or was never recorded).
        case finish
    }

    /// What the run knows when a client message arrives.
    public struct Context: Sendable {
        /// Credentials the mock handed out so far in this run.
        public var issued: Set<String>
        /// Wall-clock seconds since the epoch (used only with the `.now` clock).
        public var now: Double
        /// Recorded exchanges already taken from the pool.
        public var served: Set<RecordedReference>

        public init(issued: Set<String> = [], now: Double = 0, served: Set<RecordedReference> = []) {
            self.issued = issued
            self.now = now
            self.served = served
        }
    }

    public struct Settings: Sendable {
        public var pacing: Pacing
        public var policy: MismatchPolicy
        public var exactPayloads: Bool
        public var redactor: Redactor?
        public var classifier: AuthClassifier
        public var clock: ExchangeMatcher.Options.Clock
        public var exhaustion: ExchangeMatcher.Options.Exhaustion
        /// How many candidates an unmatched message is explained with.
        public var nearMissCount: Int
        /// For an Engine.IO connection: the session ids handed out so far;
        /// the tree gives its `open` packet a fresh one. Nil: payloads as recorded.
        public var sessionIDs: EngineIOSessionIDs?
        /// For an Engine.IO upgrade (a WebSocket handshake with `sid=`): the
        /// heartbeat the polling handshake negotiated, generated live on the
        /// WebSocket once the client sent the upgrade packet (`5`). A
        /// websocket-only session takes it from the `open` packet it sends.
        public var heartbeat: EngineIOHeartbeat.Parameters?

        public init(
            pacing: Pacing = .fast, policy: MismatchPolicy = .strict, exactPayloads: Bool = false, redactor: Redactor? = nil,
            classifier: AuthClassifier = AuthClassifier(), clock: ExchangeMatcher.Options.Clock = .recorded,
            exhaustion: ExchangeMatcher.Options.Exhaustion = .repeatLast, nearMissCount: Int = 3, sessionIDs: EngineIOSessionIDs? = nil,
            heartbeat: EngineIOHeartbeat.Parameters? = nil
        ) {
            self.sessionIDs = sessionIDs
            self.heartbeat = heartbeat
            self.pacing = pacing
            self.policy = policy
            self.exactPayloads = exactPayloads
            self.redactor = redactor
            self.classifier = classifier
            self.clock = clock
            self.exhaustion = exhaustion
            self.nearMissCount = nearMissCount
        }
    }

    /// The candidates still in play, in recorded order.
    public private(set) var candidates: [Candidate]
    /// The step every remaining candidate is at.
    public private(set) var position = 0
    /// The session this connection holds in the pool.
    public private(set) var chosen: RecordedReference?
    /// Every mismatch so far, for the journal.
    public private(set) var mismatches: [String] = []
    public let settings: Settings
    private var ended = false
    /// Socket.IO ack ids: recorded id → the live client's, for the ACKs the mock sends.
    private var ackIDs: [Int: Int] = [:]
    private var sessionIDs: EngineIOSessionIDs?

    /// - Parameters:
    ///   - sessions: the recorded sessions sharing the handshake, in recorded order.
    ///   - chosen: the one the pool gave at the handshake.
    ///   - served: sessions already taken from the pool (the chosen one aside).
    public init(sessions: [ExchangeMatcher.SessionCandidate], chosen: RecordedReference?, served: Set<RecordedReference>, settings: Settings) {
        self.init(prepared: sessions.map { Candidate($0, settings: settings) }, chosen: chosen, served: served, settings: settings)
    }

    /// A tree over candidates prepared once when the recordings were loaded
    /// (`Candidate(_:settings:)` with the same pacing and classifier), so a
    /// connection does not parse its recorded client messages again.
    public init(prepared: [Candidate], chosen: RecordedReference?, served: Set<RecordedReference>, settings: Settings) {
        candidates = prepared
        self.chosen = chosen
        self.settings = settings
        self.sessionIDs = settings.sessionIDs
        markServed(served)
    }

    init(candidates: [Candidate], settings: Settings) {
        self.candidates = candidates
        self.chosen = candidates.first?.reference
        self.settings = settings
    }

    /// The reference the journal names: the session leading now.
    public var leading: RecordedReference? { candidates.isEmpty ? chosen : candidates[leaderIndex].reference }

    /// How many steps the leading session's script has.
    /// The leading session's recording start (seconds since the epoch): a
    /// server message was sent at that plus its `at`.
    public var leadingEpoch: Double? { candidates.isEmpty ? nil : candidates[leaderIndex].epoch }

    public var leadingSteps: Int { candidates.isEmpty ? 0 : candidates[leaderIndex].steps.count }

    /// The candidate whose branch is followed: the first not yet served,
    /// else the last (an exhausted pool repeats its last session).
    private var leaderIndex: Int { candidates.firstIndex { !$0.served } ?? candidates.count - 1 }

    private mutating func markServed(_ served: Set<RecordedReference>) {
        for i in candidates.indices {
            candidates[i].served = candidates[i].reference != chosen && served.contains(candidates[i].reference)
        }
    }

    /// The next thing to do when not waiting on the client.
    public mutating func next() -> Action {
        guard !ended, !candidates.isEmpty else { return .finish }
        let step = candidates[leaderIndex].step(at: position)
        // Candidates that part from the leader here leave the tree.
        candidates.removeAll { !Self.agree($0.step(at: position), step) }
        switch step {
        case .send(var message, let delay):
            position += 1
            if case .text(let text) = message.payload, let recorded = SocketIOPacket.ackID(inEngineIOMessage: text), let live = ackIDs[recorded.id] {
                message.payload = .text(SocketIOPacket.replacingAckID(inEngineIOMessage: text, with: live))
                message.frames = nil  // the length may have changed: one plain frame
            }
            if sessionIDs != nil {
                let rewritten = sessionIDs!.rewrite(message.payload)
                if rewritten != message.payload {
                    message.payload = rewritten
                    message.frames = nil
                }
            }
            return .send(message, delay: delay)
        case .expect:
            return .awaitClient
        case .cut:
            return .cut
        case .finish:
            return .finish
        }
    }

    /// A complete message from the client (data message reassembled, or a control frame).
    public mutating func received(_ incoming: WebSocketMessage, context: Context) -> Action {
        let message = settings.redactor?.redact(message: incoming) ?? incoming
        markServed(context.served)
        if let same = byteEqualCandidates(message) { return advance(to: same) }
        let live = MessageShape(message, locator: settings.classifier.locator)
        let verified = settings.classifier.authority?.verifiedInputs(in: incoming) ?? []
        var matching: [Int] = []
        var exactCredential: [Int] = []
        var misses: [(index: Int, comparison: MessageShape.Comparison)] = []
        // The live class exactly first; a class that stands in for a recorded one only when none has it.
        for standIn in [false, true] where matching.isEmpty {
            misses = []
            for (i, candidate) in candidates.enumerated() where !ended {
                guard let expected = candidate.expected[position] else { continue }
                if expected.shape.message.opcode == .close {
                    // Any close answers an expected close: clients echo codes differently.
                    if message.opcode == .close, !standIn { matching.append(i) }
                    continue
                }
                let moment = settings.clock == .now ? context.now : expected.moment
                let liveClass = settings.classifier.classify(live.auth, issued: context.issued, at: moment, now: context.now, verified: verified)
                let comparison = live.compare(
                    with: expected.shape, recordedClass: expected.authClass, liveClass: liveClass, exact: settings.exactPayloads, standIn: standIn
                )
                if comparison.differences.isEmpty {
                    matching.append(i)
                    if comparison.exactCredential { exactCredential.append(i) }
                } else {
                    misses.append((i, comparison))
                }
            }
        }
        if !matching.isEmpty {
            let kept = exactCredential.isEmpty ? matching : exactCredential
            if let live = live.ackID, let recorded = candidates[kept[0]].expected[position]?.shape.ackID { ackIDs[recorded] = live }
            return advance(to: kept)
        }

        let leadExpected = ended || candidates.isEmpty ? nil : candidates[leaderIndex].expected[position]?.shape.message
        switch message.opcode {
        case .ping where leadExpected?.opcode != .ping:
            return .pong(message.payload)
        case .pong where leadExpected?.opcode != .pong:
            return .none(differences: [])
        case .close:
            // The client ended the session early: echo its close and stop.
            let difference = "client closed with \(message.closeCode.map(String.init) ?? "no code") " +
                (leadExpected.map { "while the recording expected \(SessionScript.describe($0))" } ?? "after the script ended")
            mismatches.append(difference)
            ended = true
            return .close(code: message.closeCode, reason: message.closeReason ?? "", differences: [difference])
        case .text, .binary, .continuation, .ping, .pong:
            break
        }
        let (report, reason) = explain(message, misses)
        mismatches += report
        switch settings.policy {
        case .lenient:
            return .none(differences: report)
        case .strict:
            if let rejecting = recordedRejection() {
                // The recorded server refused whatever it did not expect here: so does the mock.
                candidates = [candidates[rejecting]]
                position += 1
                return .rejected(differences: report, reference: candidates[0].reference)
            }
            ended = true
            return .close(code: 1008, reason: reason, differences: report)
        }
    }

    /// The candidates waiting for exactly these bytes, when every candidate
    /// waiting for a data message at this step is: a message without
    /// credentials or a Socket.IO ack id compares equal to the same bytes
    /// (same opcode, same payload, both `absent`), so the comparison's answer
    /// is known without parsing. Nil: compare in full.
    private func byteEqualCandidates(_ message: WebSocketMessage) -> [Int]? {
        guard !ended, message.opcode == .text || message.opcode == .binary else { return nil }
        var same: [Int] = []
        for (i, candidate) in candidates.enumerated() {
            guard let expected = candidate.expected[position] else { continue }
            let shape = expected.shape
            guard shape.message.opcode == message.opcode, shape.credentials.isEmpty, shape.ackID == nil,
                  shape.message.payload == message.payload
            else { return nil }
            same.append(i)
        }
        return same.isEmpty ? nil : same
    }

    /// Keeps the candidates a client message matched and steps past it.
    private mutating func advance(to kept: [Int]) -> Action {
        if settings.exhaustion == .fail, kept.allSatisfy({ candidates[$0].served }) {
            let names = kept.map { candidates[$0].reference.description }.joined(separator: ", ")
            let difference = "every recorded session this message leads to was already served (\(names))"
            mismatches.append(difference)
            ended = true
            return .close(code: 1008, reason: SessionScript.cut("exhausted: " + difference), differences: [difference])
        }
        candidates = kept.map { candidates[$0] }
        position += 1
        let leader = candidates[leaderIndex].reference
        guard leader != chosen else { return next() }
        let released = chosen
        chosen = leader
        return .chose(leader, released: released, remaining: candidates.count)
    }

    /// The candidate whose recorded rejection to play, when every candidate
    /// waiting for this message answers anything with error frames and a
    /// close that is not a normal one (a normal close after a message ends
    /// a conversation; it does not refuse it).
    private func recordedRejection() -> Int? {
        guard !ended, !candidates.isEmpty else { return nil }
        for candidate in candidates {
            guard candidate.expected[position] != nil, candidate.rejects(after: position) else { return nil }
        }
        return leaderIndex
    }

    /// The journal's report (nearest candidates first, with what differed)
    /// and a close reason within 123 bytes. One candidate reads as before
    /// session trees: its differences alone.
    private func explain(_ message: WebSocketMessage, _ misses: [(index: Int, comparison: MessageShape.Comparison)]) -> (report: [String], reason: String) {
        guard !misses.isEmpty else {
            let difference = "unexpected \(SessionScript.describe(message)): the recorded session has no more client messages"
            return ([difference], SessionScript.closeReason([difference]))
        }
        if candidates.count == 1 {
            let differences = misses[0].comparison.differences
            return (differences, SessionScript.closeReason(differences))
        }
        let nearest = misses.sorted { ($0.comparison.distance, $0.index) < ($1.comparison.distance, $1.index) }.prefix(settings.nearMissCount)
        var report: [String] = []
        for miss in nearest {
            let reference = candidates[miss.index].reference
            report += miss.comparison.differences.map { "\(reference): \($0)" }
        }
        let named = nearest.map { "\(candidates[$0.index].reference.session): \($0.comparison.differences.first ?? "differs")" }
        return (report, SessionScript.cut("unexpected message; nearest " + named.joined(separator: "; ")))
    }

    /// Same step of two sessions: the same kind, and for a server message
    /// the same opcode, close code and payload (volatile values by shape).
    static func agree(_ a: SessionScript.Step, _ b: SessionScript.Step) -> Bool {
        switch (a, b) {
        case (.send(let x, _), .send(let y, _)):
            guard x.opcode == y.opcode, x.closeCode == y.closeCode else { return false }
            return x.payload == y.payload
                || PayloadMatch.messageDifferences(expected: y.payload, actual: x.payload, exact: false, options: PayloadMatch.agreement).isEmpty
        case (.expect, .expect), (.cut, .cut), (.finish, .finish):
            return true
        case (.send, _), (.expect, _), (.cut, _), (.finish, _):
            return false
        }
    }
}
