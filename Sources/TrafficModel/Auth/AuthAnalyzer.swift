/// Checks a JWT's signature. Implementations live where the crypto is
/// (Capture, Replay); TrafficModel stays free of key handling.
public protocol JWTSignatureVerifier: Sendable {
    func verify(_ jwt: JWT) -> JWTInfo.Signature
}

/// Derives every session's auth findings from its exchanges: presented
/// credentials, issued ones, and the links between them. Pure and
/// deterministic, so re-running it on a recording changes nothing.
public struct AuthAnalyzer: Sendable {
    public var locator: CredentialLocator
    public var verifier: (any JWTSignatureVerifier)?

    public init(locator: CredentialLocator = .default, verifier: (any JWTSignatureVerifier)? = nil) {
        self.locator = locator
        self.verifier = verifier
    }

    public func analyze(_ recording: Recording) -> Recording {
        var result = recording
        // Tokens are issued and used across connections (log in on one,
        // open the WebSocket on another), so walk exchanges in time order.
        var order: [(session: Int, exchange: Int, at: Double)] = []
        for (s, session) in recording.sessions.enumerated() {
            result.sessions[s].auth = []
            for (e, exchange) in session.exchanges.enumerated() { order.append((s, e, exchange.request.at)) }
        }
        order.sort { ($0.at, $0.session, $0.exchange) < ($1.at, $1.session, $1.exchange) }
        var issued: [String: IssuedReference] = [:]
        let epoch = recording.capturedAt.seconds
        for (s, e, _) in order {
            let session = recording.sessions[s]
            let exchange = session.exchanges[e]
            for credential in locator.presented(in: exchange.request) {
                var finding = finding(credential, role: .presented, exchange: e, moment: epoch + exchange.request.at)
                finding.issuedBy = issued[credential.value]
                result.sessions[s].auth.append(finding)
            }
            guard let response = exchange.response else { continue }
            for credential in locator.issued(in: response) {
                result.sessions[s].auth.append(finding(credential, role: .issued, exchange: e, moment: epoch + response.at))
                if issued[credential.value] == nil {
                    issued[credential.value] = IssuedReference(session: session.id, exchange: e, location: credential.location)
                }
            }
        }
        return result
    }

    private func finding(_ c: CredentialLocator.Credential, role: AuthFinding.Role, exchange: Int, moment: Double) -> AuthFinding {
        var jwtInfo: JWTInfo?
        if let jwt = JWT(c.value) {
            jwtInfo = jwt.info(at: moment, signature: verifier?.verify(jwt) ?? .unverified)
        }
        return AuthFinding(
            role: role, exchange: exchange, location: c.location, scheme: c.scheme,
            schemeName: c.scheme == .other ? c.schemeName : nil, user: c.user, jwt: jwtInfo
        )
    }
}
