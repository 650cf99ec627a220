/// Checks a JWT's signature: `.unverified` for an algorithm the key cannot
/// check. HS* is `HMACJWTVerifier` (swift-crypto's HMAC); public keys are the CLI's
/// PEM adapter (jwt-kit), so TrafficModel stays free of key handling.
public protocol JWTSignatureVerifier: Sendable {
    func verify(_ jwt: JWT) -> JWTInfo.Signature
}

/// Follows credentials as messages complete, in time order: what each request
/// presented, what each response issued, and which presented credential was
/// issued earlier. Capture drives it while streaming; `AuthAnalyzer` drives it
/// over a whole recording. Both give the same findings.
public struct AuthTracker: Sendable {
    public var locator: CredentialLocator
    public var verifier: (any JWTSignatureVerifier)?
    /// Absolute capture start in seconds, to judge JWT times at the moment of use.
    public var epoch: Double
    private var issued: [String: IssuedReference] = [:]
    /// Non-nil when links are made later (`deferringLinks`): what this tracker saw.
    public private(set) var links: LinkLog?
    /// The caller's place in the capture's event order, for deferred links.
    public var position: UInt64 = 0
    /// Findings handed out so far: the index the next one gets in its session's `auth`.
    private var findingsMade = 0

    public init(epoch: Double, locator: CredentialLocator = .default, verifier: (any JWTSignatureVerifier)? = nil) {
        self.epoch = epoch
        self.locator = locator
        self.verifier = verifier
    }

    /// A tracker for one connection decoded apart from the others (import
    /// `--jobs`): it decodes and judges credentials as usual but links no
    /// presented credential to an issued one, since the issuing connection may
    /// be on another thread; it lists both in `links` instead, and
    /// `IssuedCredentials` links them afterwards in capture order, giving the
    /// findings a single tracker would have given. Its findings must all go to
    /// one session's `auth`, in order (the indices in `links` point there).
    public static func deferringLinks(epoch: Double, locator: CredentialLocator = .default, verifier: (any JWTSignatureVerifier)? = nil) -> AuthTracker {
        var tracker = AuthTracker(epoch: epoch, locator: locator, verifier: verifier)
        tracker.links = LinkLog()
        return tracker
    }

    /// Takes the issued credentials listed so far (they are shared with the other connections as they appear).
    public mutating func takeIssued() -> [LinkLog.Issued] {
        guard let log = links, !log.issued.isEmpty else { return [] }
        links!.issued = []
        return log.issued
    }

    public mutating func observe(request: HTTPRequest, session: String, exchange: Int) -> [AuthFinding] {
        locator.presented(in: request).map { credential in
            var f = finding(credential, role: .presented, exchange: exchange, moment: epoch + request.at)
            link(&f, credential.value)
            return f
        }
    }

    private mutating func link(_ finding: inout AuthFinding, _ value: String) {
        if links != nil {
            links!.presented.append(LinkLog.Presented(finding: findingsMade - 1, value: value, order: nextOrder()))
        } else {
            finding.issuedBy = issued[value]
        }
    }

    private mutating func nextOrder() -> LinkLog.Order {
        defer { links!.step += 1 }
        return LinkLog.Order(position: position, step: links!.step)
    }

    /// Credentials a client presented inside a WebSocket message (a
    /// Socket.IO CONNECT's auth object, an auth message, graphql-ws
    /// `connection_init`): findings on the upgrade `exchange`, their
    /// location `message:<prefix>$.<path>` saying where in the message.
    public mutating func observe(message: WebSocketMessage, session: String, exchange: Int) -> [AuthFinding] {
        guard message.direction == .client, message.opcode == .text else { return [] }
        return locator.presented(inMessage: message.payload).map { found in
            var f = finding(found.credential, role: .presented, exchange: exchange, moment: epoch + message.at)
            link(&f, found.credential.value)
            return f
        }
    }

    public mutating func observe(response: HTTPResponse, session: String, exchange: Int) -> [AuthFinding] {
        locator.issued(in: response).map { credential in
            let reference = IssuedReference(session: session, exchange: exchange, location: credential.location)
            if links != nil {
                links!.issued.append(LinkLog.Issued(value: credential.value, order: nextOrder(), reference: reference))
            } else if issued[credential.value] == nil {
                issued[credential.value] = reference
            }
            return finding(credential, role: .issued, exchange: exchange, moment: epoch + response.at)
        }
    }

    private mutating func finding(_ c: CredentialLocator.Credential, role: AuthFinding.Role, exchange: Int, moment: Double) -> AuthFinding {
        var jwtInfo: JWTInfo?
        if let jwt = JWT(c.value) {
            jwtInfo = jwt.info(at: moment, signature: verifier?.verify(jwt) ?? .unverified)
        }
        findingsMade += 1
        return AuthFinding(
            role: role, exchange: exchange, location: c.location, scheme: c.scheme,
            schemeName: c.scheme == .other ? c.schemeName : nil, user: c.user, jwt: jwtInfo
        )
    }

    /// Findings in their canonical order within a session: by exchange, the
    /// request's before the response's, then as found.
    public static func canonicalOrder(_ findings: [AuthFinding]) -> [AuthFinding] {
        findings.enumerated().sorted { a, b in
            let ka = (a.element.exchange, a.element.role == .presented ? 0 : 1, a.offset)
            let kb = (b.element.exchange, b.element.role == .presented ? 0 : 1, b.offset)
            return ka < kb
        }.map(\.element)
    }
}

/// Derives every session's auth findings from its exchanges. Pure and
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
        // Tokens are issued and used across connections (log in on one, open
        // the WebSocket on another), so walk every message in time order.
        struct Event { var at: Double; var session: Int; var exchange: Int; var isResponse: Bool; var message: Int? = nil }
        var events: [Event] = []
        for (s, session) in recording.sessions.enumerated() {
            result.sessions[s].auth = []
            for (e, exchange) in session.exchanges.enumerated() {
                events.append(Event(at: exchange.request.at, session: s, exchange: e, isResponse: false))
                if let response = exchange.response {
                    events.append(Event(at: response.at, session: s, exchange: e, isResponse: true))
                }
            }
            // Client messages of an upgraded connection, on its upgrade (last) exchange.
            for (m, message) in (session.websocket?.messages ?? []).enumerated() where message.direction == .client && !session.exchanges.isEmpty {
                events.append(Event(at: message.at, session: s, exchange: session.exchanges.count - 1, isResponse: false, message: m))
            }
        }
        events.sort {
            ($0.at, $0.session, $0.exchange, $0.isResponse ? 1 : 0, $0.message ?? -1) < ($1.at, $1.session, $1.exchange, $1.isResponse ? 1 : 0, $1.message ?? -1)
        }
        var tracker = AuthTracker(epoch: recording.capturedAt.seconds, locator: locator, verifier: verifier)
        for event in events {
            let session = recording.sessions[event.session]
            let exchange = session.exchanges[event.exchange]
            if let m = event.message, let message = session.websocket?.messages[m] {
                result.sessions[event.session].auth += tracker.observe(message: message, session: session.id, exchange: event.exchange)
            } else if event.isResponse, let response = exchange.response {
                result.sessions[event.session].auth += tracker.observe(response: response, session: session.id, exchange: event.exchange)
            } else {
                result.sessions[event.session].auth += tracker.observe(request: exchange.request, session: session.id, exchange: event.exchange)
            }
        }
        for s in result.sessions.indices {
            result.sessions[s].auth = AuthTracker.canonicalOrder(result.sessions[s].auth)
        }
        return result
    }
}
