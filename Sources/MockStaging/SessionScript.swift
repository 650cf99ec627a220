import TrafficModel

/// What to do when a client message is not the one the recording had.
public enum MismatchPolicy: String, Hashable, Sendable, CaseIterable {
    /// Close the session with 1008 and a reason naming the mismatch.
    case strict
    /// Log it, ignore the message and keep waiting for the expected one.
    case lenient
}

/// The recorded WebSocket half of a session as a script the mock plays:
/// server messages are sent, client messages are awaited and compared.
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
    public let policy: MismatchPolicy
    public let exactPayloads: Bool
    /// Redacts client messages before they are compared (a redacted recording).
    public let redactor: Redactor?
    public private(set) var position = 0
    /// Every mismatch so far, for the journal.
    public private(set) var mismatches: [String] = []

    /// - Parameters:
    ///   - upgradedAt: when the 101 was sent, in recording time (the first gap starts there).
    public init(session: Session, upgradedAt: Double, pacing: Pacing, policy: MismatchPolicy, exactPayloads: Bool = false, redactor: Redactor? = nil) {
        var steps: [Step] = []
        var last = upgradedAt
        var serverClosed = false
        for message in session.websocket?.messages ?? [] {
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
        self.steps = steps
        self.policy = policy
        self.exactPayloads = exactPayloads
        self.redactor = redactor
    }

    /// The next thing to do when not waiting on the client.
    public mutating func next() -> Action {
        guard position < steps.count else { return .finish }
        switch steps[position] {
        case .send(let message, let delay):
            position += 1
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
    public mutating func received(_ incoming: WebSocketMessage) -> Action {
        let message = redactor?.redact(message: incoming) ?? incoming
        let expected: WebSocketMessage?
        if position < steps.count, case .expect(let m) = steps[position] { expected = m } else { expected = nil }

        if let expected, matches(expected, message) {
            position += 1
            return next()
        }
        switch message.opcode {
        case .ping where expected?.opcode != .ping:
            return .pong(message.payload)
        case .pong where expected?.opcode != .pong:
            return .none(differences: [])
        case .close:
            // The client ended the session early: echo its close and stop.
            let difference = "client closed with \(message.closeCode.map(String.init) ?? "no code") " +
                (expected.map { "while the recording expected \(Self.describe($0))" } ?? "after the script ended")
            mismatches.append(difference)
            position = steps.count
            return .close(code: message.closeCode, reason: message.closeReason ?? "", differences: [difference])
        case .text, .binary, .continuation, .ping, .pong:
            break
        }
        let differences: [String]
        if let expected {
            differences = Self.differences(expected: expected, actual: message, exact: exactPayloads)
        } else {
            differences = ["unexpected \(Self.describe(message)): the recorded session has no more client messages"]
        }
        mismatches += differences
        switch policy {
        case .lenient:
            return .none(differences: differences)
        case .strict:
            position = steps.count
            return .close(code: 1008, reason: Self.closeReason(differences), differences: differences)
        }
    }

    private func matches(_ expected: WebSocketMessage, _ actual: WebSocketMessage) -> Bool {
        // Any close answers an expected close: clients echo codes differently.
        if expected.opcode == .close { return actual.opcode == .close }
        return Self.differences(expected: expected, actual: actual, exact: exactPayloads).isEmpty
    }

    static func differences(expected: WebSocketMessage, actual: WebSocketMessage, exact: Bool) -> [String] {
        guard expected.opcode == actual.opcode else {
            return ["opcode: expected \(expected.opcode.rawValue), got \(actual.opcode.rawValue)"]
        }
        return PayloadMatch.differences(expected: expected.payload, actual: actual.payload, exact: exact, subject: "message")
    }

    static func describe(_ message: WebSocketMessage) -> String {
        "\(message.opcode.rawValue) message \(PayloadComparator.describe(message.payload, limit: 40))"
    }

    /// A close reason fits in 123 bytes (RFC 6455 §5.5); cut at a character boundary.
    static func closeReason(_ differences: [String]) -> String {
        var reason = "unexpected message: " + (differences.first ?? "mismatch")
        while reason.utf8.count > 123 { reason.removeLast() }
        return reason
    }
}
