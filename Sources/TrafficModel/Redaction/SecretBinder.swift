/// One secret bound at replay time: `RULE=VALUE`, RULE as the recording's
/// redaction counts name it (`body:password`, `header:x-api-key`,
/// `authorization`, `cookie`, `query:api_key`, `json-path:$.pin`), or
/// `redacted:PSEUDONYM` for exactly one recorded value.
public struct SecretBinding: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        case rule(String)
        case pseudonym(String)
    }

    public var target: Target
    public var value: String

    public init(target: Target, value: String) {
        self.target = target
        self.value = value
    }

    /// `RULE=VALUE` (the value as given; `env:NAME` is the caller's to resolve).
    public init?(parsing text: String) {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let left = String(text[..<eq])
        var rule = left.lowercased()
        if left.hasPrefix(Pseudonymizer.marker) {
            target = .pseudonym(left)
        } else {
            // `header:Authorization` is the `authorization` rule.
            if rule == "header:authorization" || rule == "header:proxy-authorization" { rule = "authorization" }
            if rule.hasPrefix("json-path:") { rule = "json-path:" + left.dropFirst("json-path:".count) }
            target = .rule(rule)
        }
        value = String(text[text.index(after: eq)...])
        guard !left.isEmpty else { return nil }
    }

    public var name: String {
        switch target {
        case .rule(let rule): return rule
        case .pseudonym(let pseudonym): return pseudonym
        }
    }
}

/// Puts secrets back into a redacted recording's client side, in memory, at
/// replay time (VCR-style): the committed recording never holds them and no
/// unredacted copy is ever written.
///
/// A binding replaces the recorded pseudonyms it matches, in requests and
/// client messages, encoded for where they stand (form and query values
/// percent-encoded, JSON strings escaped, a Basic password inside its
/// base64). One rule may cover several recorded values (a wrong-password
/// login beside the right one): with the key the recording was made with, a
/// value is bound only where its pseudonym was recorded, so each login keeps
/// its recorded outcome; without the key, a rule holding several values is
/// refused (bind each with `redacted:PSEUDONYM=VALUE`). Pure.
public struct SecretBinder: Sendable {
    public let bindings: [SecretBinding]
    public let rules: RedactionRules

    /// `rules`: the rules (and pseudonym key) the recording was redacted with.
    public init(bindings: [SecretBinding], rules: RedactionRules) {
        self.bindings = bindings
        self.rules = rules
    }

    /// The recording with its bound secrets in place, and per session id the
    /// redacted values it still sends (rule and pseudonym), for the report.
    public func bind(_ recording: Recording) throws(RecordingError) -> (Recording, unbound: [String: [String]]) {
        let seen = recording.sessions.map { (id: $0.id, pairs: Self.clientPseudonyms($0, rules: rules)) }
        let all = seen.flatMap(\.pairs)
        let keyMatches = recording.redaction?.pseudonymKeyID == rules.pseudonymizer.keyID
        var values: [String: String] = [:]  // pseudonym → secret
        for binding in bindings {
            switch binding.target {
            case .pseudonym(let pseudonym):
                guard all.contains(where: { $0.pseudonym == pseudonym }) else {
                    throw .secretBinding(binding.name, "no request or client message of the recording sends \(pseudonym)")
                }
                values[pseudonym] = binding.value
            case .rule(let rule):
                let recorded = Set(all.filter { $0.rule == rule }.map(\.pseudonym))
                guard !recorded.isEmpty else {
                    let known = Set(all.map(\.rule)).sorted().joined(separator: ", ")
                    throw .secretBinding(binding.name, "the recording sends no redacted value under \(rule)" + (known.isEmpty ? "" : "; it has \(known)"))
                }
                if keyMatches {
                    let pseudonym = rules.pseudonymizer.pseudonym(for: binding.value)
                    guard recorded.contains(pseudonym) else {
                        throw .secretBinding(binding.name, "the value is not one the recording sent under \(rule) (its pseudonym would be \(pseudonym); recorded: \(recorded.sorted().joined(separator: ", ")))")
                    }
                    values[pseudonym] = binding.value
                } else if recorded.count == 1, let only = recorded.first {
                    values[only] = binding.value
                } else {
                    throw .secretBinding(binding.name, "\(recorded.count) different values were recorded under \(rule) and this project does not hold the key they were made with; bind each one with --secret PSEUDONYM=VALUE (\(recorded.sorted().joined(separator: ", ")))")
                }
            }
        }
        // A value the server handed out (a refresh token, a session cookie) is
        // replaced on replay by what the target issues (token chaining), not bound.
        let issued = Self.serverPseudonyms(recording)
        var result = recording
        var unbound: [String: [String]] = [:]
        for (index, session) in recording.sessions.enumerated() {
            result.sessions[index] = Self.substitute(values, in: session)
            let left = seen[index].pairs.filter { values[$0.pseudonym] == nil && !issued.contains($0.pseudonym) }.map { "\($0.rule) \($0.pseudonym)" }
            if !left.isEmpty { unbound[session.id] = Array(Set(left)).sorted() }
        }
        return (result, unbound)
    }

    /// The (rule, pseudonym) pairs of the client side: the same redaction
    /// pass, run again over the redacted requests and client messages.
    static func clientPseudonyms(_ session: Session, rules: RedactionRules) -> [(rule: String, pseudonym: String)] {
        var pass = RedactionPass(rules: rules)
        pass.usesPrescan = false
        for exchange in session.exchanges { _ = pass.request(exchange.request) }
        for message in session.websocket?.messages ?? [] where message.direction == .client { _ = pass.message(message) }
        return pass.seen
    }

    /// Every pseudonym in a response (headers and body): values the server issued.
    static func serverPseudonyms(_ recording: Recording) -> Set<String> {
        var found = Set<String>()
        for exchange in recording.sessions.flatMap(\.exchanges) {
            guard let response = exchange.response else { continue }
            let texts = response.headers.map(\.value) + [response.body?.text ?? ""] + (response.stream?.events.compactMap(\.data) ?? [])
            for text in texts where text.contains(Pseudonymizer.marker) {
                for match in text.matches(of: /redacted:[0-9a-f]{16}/) { found.insert(String(match.output)) }
            }
        }
        return found
    }

    static func substitute(_ values: [String: String], in session: Session) -> Session {
        guard !values.isEmpty else { return session }
        var result = session
        for i in result.exchanges.indices {
            var request = result.exchanges[i].request
            request.target = SecretEncoding.query(request.target, values)
            request.headers = request.headers.map { HeaderField($0.name, SecretEncoding.header($0.name, $0.value, values)) }
            if case .text(let text)? = request.body {
                let form = request.headers.first("Content-Type")?.lowercased().contains("application/x-www-form-urlencoded") == true
                let bound = form ? SecretEncoding.form(text, values) : SecretEncoding.document(text, values)
                if bound != text {
                    request.body = .text(bound)
                    if request.framing == .contentLength, let c = request.headers.firstIndex(where: { $0.name.lowercased() == "content-length" }) {
                        request.headers[c].value = String(bound.utf8.count)
                    }
                }
            }
            result.exchanges[i].request = request
        }
        if var websocket = result.websocket {
            for i in websocket.messages.indices where websocket.messages[i].direction == .client {
                if case .text(let text) = websocket.messages[i].payload {
                    websocket.messages[i].payload = .text(SecretEncoding.document(text, values))
                }
            }
            result.websocket = websocket
        }
        return result
    }
}
