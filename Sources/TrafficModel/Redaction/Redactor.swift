/// Replaces secrets in recordings and in live traffic with stable pseudonyms,
/// keeping structure: a JWT stays a readable three-part JWT with a
/// pseudonymized signature, `Bearer` and cookie names stay, a body stays the
/// same JSON or form.
///
/// Pure, deterministic and idempotent: the same input always gives the same
/// output, and redacting redacted data changes nothing. That is what lets the
/// mock apply `redact(request:)` to live requests and match them against a
/// redacted recording: a client sending the original token and a client
/// sending the pseudonym the mock handed out both arrive as the pseudonym.
public struct Redactor: Sendable {
    public var rules: RedactionRules

    public init(rules: RedactionRules = .default) {
        self.rules = rules
    }

    /// The redacted recording and what was replaced. Auth findings are
    /// recomputed from the redacted data (JWT signatures say `redacted`), and
    /// the summary adds to any earlier one, so redacting twice counts once.
    public func redact(_ recording: Recording) -> (Recording, RedactionSummary) {
        var pass = RedactionPass(rules: rules)
        var result = recording
        result.sessions = recording.sessions.map { pass.session($0) }
        var counts = recording.redaction?.enabled == true ? recording.redaction?.counts ?? [:] : [:]
        counts.merge(pass.counts, uniquingKeysWith: +)
        let summary = self.summary(counts: counts)
        result.redaction = summary
        result = AuthAnalyzer(verifier: RedactedSignatureVerifier()).analyze(result)
        result.sessions = zip(result.sessions, recording.sessions).map { redacted, original in
            Self.keepVerdicts(of: original, in: redacted)
        }
        return (result, summary)
    }

    /// The summary a recording redacted by this redactor carries: its counts
    /// and the id of its pseudonym key.
    public func summary(counts: [String: Int]) -> RedactionSummary {
        RedactionSummary(enabled: true, pseudonymKeyID: rules.pseudonymizer.keyID, counts: counts)
    }

    /// Recomputing findings from redacted data cannot check signatures any
    /// more; the verdicts a key gave on the originals are carried over.
    static func keepVerdicts(of original: Session, in redacted: Session) -> Session {
        guard original.auth.count == redacted.auth.count else { return redacted }
        var result = redacted
        for i in result.auth.indices {
            let before = original.auth[i]
            guard before.exchange == result.auth[i].exchange, before.location == result.auth[i].location,
                  result.auth[i].jwt?.signature == .redacted, let jwt = before.jwt else { continue }
            switch jwt.signature {
            case .valid, .invalid: result.auth[i].jwt?.verifiedBeforeRedaction = jwt.signature
            case .redacted: result.auth[i].jwt?.verifiedBeforeRedaction = jwt.verifiedBeforeRedaction
            case .unverified: break
            }
        }
        return result
    }

    /// One session, for writers that stream sessions as their connections end.
    /// Its findings are redacted in place (claims, signatures), which gives the
    /// same findings as recomputing them: pseudonyms keep equal values equal.
    public func redact(session: Session, counts: inout [String: Int]) -> Session {
        var pass = RedactionPass(rules: rules)
        let result = pass.session(session)
        counts.merge(pass.counts, uniquingKeysWith: +)
        return result
    }

    /// The same redaction the recording's requests got; the mock applies it to
    /// live requests before matching.
    public func redact(request: HTTPRequest) -> HTTPRequest {
        var pass = RedactionPass(rules: rules)
        return pass.request(request)
    }

    public func redact(response: HTTPResponse) -> HTTPResponse {
        var pass = RedactionPass(rules: rules)
        return pass.response(response)
    }

    /// The mock applies it to live client messages before comparing them.
    public func redact(message: WebSocketMessage) -> WebSocketMessage {
        var pass = RedactionPass(rules: rules)
        return pass.message(message)
    }

    /// A single credential value as redaction writes it (a JWT keeps its
    /// shape, anything else becomes `redacted:…`).
    public func redact(value: String) -> String {
        var pass = RedactionPass(rules: rules)
        return pass.credential(value, rule: "value")
    }
}

/// One run of redaction, counting replacements per rule.
struct RedactionPass {
    let rules: RedactionRules
    var counts: [String: Int] = [:]
    /// Pseudonyms met in credential positions, with their rule: what a
    /// second pass over a redacted recording finds (`SecretBinder`).
    var seen: [(rule: String, pseudonym: String)] = []
    /// Skip values the prescan clears; off only in the test that proves it changes nothing.
    var usesPrescan = true

    init(rules: RedactionRules) {
        self.rules = rules
    }

    var pseudonymizer: Pseudonymizer { rules.pseudonymizer }

    mutating func count(_ rule: String) { counts[rule, default: 0] += 1 }

    mutating func session(_ session: Session) -> Session {
        var s = session
        s.exchanges = session.exchanges.map { exchange in
            HTTPExchange(request: request(exchange.request), response: exchange.response.map { response($0) })
        }
        if var websocket = session.websocket {
            websocket.messages = websocket.messages.map { message($0) }
            websocket.subprotocol = websocket.subprotocol.map { text($0) }
            s.websocket = websocket
        }
        s.anomalies = session.anomalies.map { anomaly($0) }
        s.auth = session.auth.map { finding($0) }
        return s
    }

    mutating func request(_ request: HTTPRequest) -> HTTPRequest {
        var r = request
        r.target = target(request.target)
        r.headers = headers(request.headers)
        r.trailers = headers(request.trailers)
        r.body = body(request.body, headers: &r.headers, framing: request.framing)
        return r
    }

    mutating func response(_ response: HTTPResponse) -> HTTPResponse {
        var r = response
        r.headers = headers(response.headers)
        r.trailers = headers(response.trailers)
        r.interim = response.interim.map { interim in
            var i = interim
            i.headers = headers(interim.headers)
            return i
        }
        r.body = body(response.body, headers: &r.headers, framing: response.framing)
        r.stream = response.stream.map { stream($0) }
        return r
    }

    /// Each event's data is a document of its own (usually one JSON value);
    /// ids, names and comments are plain text.
    mutating func stream(_ stream: ResponseStream) -> ResponseStream {
        var s = stream
        s.events = stream.events.map { event in
            var e = event
            e.data = event.data.map { document($0, isForm: false) }
            e.id = event.id.map { text($0) }
            e.comments = event.comments.map { text($0) }
            return e
        }
        return s
    }

    mutating func message(_ message: WebSocketMessage) -> WebSocketMessage {
        guard case .text(let payload) = message.payload else { return message }
        let redacted = message.opcode == .close ? text(payload) : document(payload, isForm: false)
        guard redacted != payload else { return message }
        var m = message
        m.payload = .text(redacted)
        // Keep a recorded fragmentation true to the new length: the last frame absorbs the change.
        if var frames = m.frames, !m.compressed, let last = frames.indices.last,
           frames.reduce(0, { $0 + $1.length }) == payload.utf8.count {
            let delta = redacted.utf8.count - payload.utf8.count
            if frames[last].length + delta >= 0 {
                frames[last].length += delta
                m.frames = frames
            }
        }
        return m
    }

    mutating func anomaly(_ anomaly: Anomaly) -> Anomaly {
        guard case .text(let data)? = anomaly.data else { return anomaly }
        var a = anomaly
        a.data = .text(rawHTTPText(data))
        return a
    }

    /// Findings of a session redacted in place: claim values pseudonymized,
    /// signatures marked redacted (unsigned tokens stay unsigned).
    mutating func finding(_ finding: AuthFinding) -> AuthFinding {
        guard var jwt = finding.jwt else { return finding }
        var f = finding
        if !rules.redactClaims.isEmpty, case .object(let members) = jwt.claims {
            jwt.claims = .object(members.map { name, value in
                rules.redactClaims.contains(name) ? (name, claimPseudonym(value)) : (name, value)
            })
        }
        if jwt.algorithm?.lowercased() != "none" {
            // The key's verdict on the real signature outlives the signature.
            if jwt.signature == .valid || jwt.signature == .invalid { jwt.verifiedBeforeRedaction = jwt.signature }
            if jwt.signature != .redacted { jwt.signature = .redacted }
        }
        f.jwt = jwt
        return f
    }
}
