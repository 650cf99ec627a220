public import TrafficModel
import Wire

/// What to do when a client message is not the one the recording had.
public enum MismatchPolicy: String, Hashable, Sendable, CaseIterable {
    /// Close the session with 1008 and a reason naming the mismatch.
    case strict
    /// Log it, ignore the message and keep waiting for the expected one.
    case lenient
}

/// The recorded WebSocket half of a session as a script the mock plays:
/// server messages are sent, client messages are awaited and compared.
/// One session alone: a `SessionTree` with one candidate, judged without a
/// recording around it (no issued tokens; credentials in messages compared
/// by class at the recorded moment). The server runs trees; this is the
/// script of one session, for callers that have just one.
///
/// A state machine in the style of swift-nio's upgrader state machines:
/// mutating methods return an action, the caller performs it. No I/O, no clock.
public struct SessionScript: Sendable {
    public enum Step: Hashable, Sendable {
        /// Send a recorded server message after `delay` seconds.
        case send(WebSocketMessage, delay: Double)
        /// Wait for the client's message and compare it with the recorded one.
        case expect(WebSocketMessage)
        /// Close the TCP connection without a close frame (recorded cut or reset).
        case cut
        /// The session is over: close the TCP connection.
        case finish
    }

    public enum Action: Hashable, Sendable {
        /// Send this message after `delay` seconds, then call `next()` again.
        case send(WebSocketMessage, delay: Double)
        /// Wait for a client message, then call `received(_:)`.
        case awaitClient
        /// Answer a ping the recording did not have.
        case pong(Body)
        /// Nothing to do (a client pong, an ignored message in lenient mode).
        case none(differences: [String])
        /// Send a close frame with this code and reason, then close the connection
        /// (a strict mismatch, or the echo of a client's unexpected close).
        case close(code: Int?, reason: String, differences: [String])
        /// Close the connection without a close frame.
        case cut
        /// Close the connection (the closing handshake is done or was never recorded).
        case finish
    }

    public let steps: [Step]
    public var policy: MismatchPolicy { tree.settings.policy }
    public var exactPayloads: Bool { tree.settings.exactPayloads }
    /// Redacts client messages before they are compared (a redacted recording).
    public var redactor: Redactor? { tree.settings.redactor }
    public var position: Int { tree.position }
    /// Every mismatch so far, for the journal.
    public var mismatches: [String] { tree.mismatches }
    private var tree: SessionTree

    /// - Parameters:
    ///   - upgradedAt: when the 101 was sent, in recording time (the first gap starts there).
    public init(session: Session, upgradedAt: Double, pacing: Pacing, policy: MismatchPolicy, exactPayloads: Bool = false, redactor: Redactor? = nil) {
        let settings = SessionTree.Settings(pacing: pacing, policy: policy, exactPayloads: exactPayloads, redactor: redactor)
        steps = Self.steps(session: session, upgradedAt: upgradedAt, pacing: pacing)
        let reference = RecordedReference(recording: 0, recordingName: "session", session: session.id, exchange: 0)
        tree = SessionTree(
            candidates: [SessionTree.Candidate(reference: reference, steps: steps, epoch: 0, issued: [], classifier: settings.classifier)],
            settings: settings
        )
    }

    /// A recorded session's WebSocket messages as steps, paced from the 101 on.
    /// An Engine.IO session's heartbeats (`2`, `3`) are left out: the mock
    /// pings live at the negotiated interval (`EngineIOHeartbeat`) and does not
    /// wait for recorded pongs.
    static func steps(session: Session, upgradedAt: Double, pacing: Pacing) -> [Step] {
        var steps: [Step] = []
        var last = upgradedAt
        var serverClosed = false
        let engineIO = EngineIOReadable.speaksEngineIO(session)
        for message in session.websocket?.messages ?? [] {
            if engineIO, EngineIOHeartbeat.isHeartbeat(message) { continue }
            switch message.direction {
            case .server:
                steps.append(.send(message, delay: pacing.delay(forRecordedGap: message.at - last)))
                if message.opcode == .close { serverClosed = true }
            case .client:
                steps.append(.expect(message))
            }
            last = message.at
        }
        switch session.end?.kind {
        case .cut?, .reset?:
            steps.append(serverClosed ? .finish : .cut)
        case .closed?, nil:
            steps.append(.finish)
        }
        return steps
    }

    /// The next thing to do when not waiting on the client.
    public mutating func next() -> Action {
        perform(tree.next())
    }

    /// A complete message from the client (data message reassembled, or a control frame).
    public mutating func received(_ incoming: WebSocketMessage) -> Action {
        perform(tree.received(incoming, context: SessionTree.Context()))
    }

    /// The tree's action as this script's: with one candidate nothing is
    /// chosen, and a recorded rejection is simply the script going on.
    private mutating func perform(_ action: SessionTree.Action) -> Action {
        switch action {
        case .send(let message, let delay): return .send(message, delay: delay)
        case .awaitClient: return .awaitClient
        case .pong(let payload): return .pong(payload)
        case .none(let differences): return .none(differences: differences)
        case .chose, .rejected: return perform(tree.next())
        case .close(let code, let reason, let differences): return .close(code: code, reason: reason, differences: differences)
        case .cut: return .cut
        case .finish: return .finish
        }
    }

    static func describe(_ message: WebSocketMessage) -> String {
        "\(message.opcode.rawValue) message \(PayloadComparator.describe(message.payload, limit: 40))"
    }

    /// A close reason fits in 123 bytes (RFC 6455 §5.5).
    static func closeReason(_ differences: [String]) -> String {
        cut("unexpected message: " + (differences.first ?? "mismatch"))
    }

    /// `text` cut to fit a close frame (Wire's one rule).
    static func cut(_ text: String) -> String { WebSocketFramer.closeReason(fitting: text) }
}
