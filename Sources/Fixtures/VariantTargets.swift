public import TrafficModel

/// Where a recording presents credentials, and which variants each gets:
/// the first use of each credential location in each session. Pure.
public struct VariantTarget: Sendable, Hashable {
    public var session: String
    /// The exchange that carries the credential; for a message, the upgrade.
    public var exchange: Int
    /// For a credential inside a WebSocket message: the client message's
    /// number (0-based, pings and pongs not counted, as replay sends them).
    public var clientMessage: Int?
    public var location: String
    public var scheme: AuthFinding.Scheme
    public var variants: [CredentialVariant]
    /// Variants left out because they need a signing key.
    public var needingKey: [CredentialVariant]

    public static func all(in recording: Recording, withKey: Bool) -> [VariantTarget] {
        var targets: [VariantTarget] = []
        for session in recording.sessions {
            var seen = Set<String>()
            // Request credentials CredentialEdit can put a variant in; those inside messages come next.
            for finding in session.auth where finding.role == .presented && !seen.contains(finding.location)
                && CredentialEdit.editableRequestLocation(finding.location) {
                seen.insert(finding.location)
                // A Bearer token is a JWT when it decodes as one (the finding says so).
                let scheme: AuthFinding.Scheme = finding.jwt != nil ? .jwt : finding.scheme
                let all = CredentialVariant.applicable(to: scheme, withKey: true)
                let usable = CredentialVariant.applicable(to: scheme, withKey: withKey)
                targets.append(VariantTarget(
                    session: session.id, exchange: finding.exchange, clientMessage: nil, location: finding.location, scheme: scheme,
                    variants: usable, needingKey: all.filter { !usable.contains($0) }
                ))
            }
            targets += messageTargets(in: session, withKey: withKey, seen: &seen)
        }
        return targets
    }

    /// Credentials inside client messages (an auth message, graphql-ws
    /// `connection_init`, a Socket.IO CONNECT): the first use of each location.
    static func messageTargets(in session: Session, withKey: Bool, seen: inout Set<String>) -> [VariantTarget] {
        guard let messages = session.websocket?.messages,
              let upgrade = session.exchanges.lastIndex(where: { $0.isWebSocketUpgrade })
        else { return [] }
        var targets: [VariantTarget] = []
        let sent = messages.filter { $0.direction == .client && $0.opcode != .ping && $0.opcode != .pong }
        for (number, message) in sent.enumerated() {
            for found in CredentialLocator.default.presented(inMessage: message.payload) where !seen.contains(found.credential.location) {
                seen.insert(found.credential.location)
                let scheme: AuthFinding.Scheme = JWT(found.credential.value) != nil ? .jwt : found.credential.scheme
                let all = CredentialVariant.applicable(to: scheme, withKey: true)
                let usable = CredentialVariant.applicable(to: scheme, withKey: withKey)
                targets.append(VariantTarget(
                    session: session.id, exchange: upgrade, clientMessage: number, location: found.credential.location, scheme: scheme,
                    variants: usable, needingKey: all.filter { !usable.contains($0) }
                ))
            }
        }
        return targets
    }
}

/// What a target answered to one variant, for the summary table.
public struct VariantAnswer: Sendable, Hashable {
    /// The status of the response to the request that carried the variant.
    public var status: Int?
    /// The first `error_code` the server sent after it (a message or a body).
    public var errorCode: String?
    /// The server's WebSocket close code (1006: the connection dropped without one).
    public var close: Int?

    public init(observed session: Session, exchange: Int) {
        let response = session.exchanges.indices.contains(exchange) ? session.exchanges[exchange].response : nil
        status = response?.status
        let bodies = (response?.body.map { [$0] } ?? []) + (session.websocket?.messages.filter { $0.direction == .server }.map(\.payload) ?? [])
        errorCode = bodies.lazy.compactMap { Self.errorCode(in: $0) }.first
        // The server's close: the client's scripted close may go first, but the answer is the server's.
        if let ws = session.websocket {
            close = ws.messages.first { $0.direction == .server && $0.opcode == .close }?.closeCode ?? (session.end != nil ? 1006 : nil)
        }
    }

    static func errorCode(in body: Body) -> String? {
        JSONMembers.values(named: "error_code", in: body).lazy.compactMap(\.stringValue).first
    }
}

/// A recording of what a target did, from replayed sessions and when each
/// started (seconds since the epoch): the fixture `variants` writes. Auth
/// findings are derived again, signatures checked with `verifier` (so a
/// forged token is recorded as such and replay sends it unchanged);
/// redaction is the caller's (with its rules).
public enum ObservedRecording {
    public static func make(
        _ sessions: [(session: Session, startedAt: Double)], name: String, verifier: (any JWTSignatureVerifier)? = nil
    ) -> Recording {
        let epoch = sessions.map(\.startedAt).min() ?? 0
        let captured = Timestamp(seconds: epoch)
        let placed = sessions.map { item -> Session in
            var s = item.session
            let offset = ((item.startedAt - captured.seconds) * 1e6).rounded() / 1e6
            s.start = offset
            s.exchanges = s.exchanges.map { exchange in
                var e = exchange
                e.request.at += offset
                e.response?.at += offset
                return e
            }
            if var ws = s.websocket {
                ws.messages = ws.messages.map { m in
                    var m = m
                    m.at += offset
                    return m
                }
                s.websocket = ws
            }
            if var end = s.end {
                end.at += offset
                s.end = end
            }
            s.anomalies = s.anomalies.map { a in
                var a = a
                a.at = a.at.map { $0 + offset }
                return a
            }
            return s
        }
        let recording = Recording(source: .init(kind: .live, name: name, tool: "authreplay variants"), capturedAt: captured, sessions: placed)
        return AuthAnalyzer(verifier: verifier).analyze(recording)
    }
}
