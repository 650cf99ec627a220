/// A secret that survived in a recording, and where.
public struct LintFinding: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A JWT whose signature is the real one.
        case jwtSignature = "jwt-signature"
        /// `Authorization: Bearer` (or another scheme) with the real token.
        case bearerToken = "bearer-token"
        /// `Authorization: Basic` with the real password.
        case basicCredentials = "basic-credentials"
        /// A password or client secret in a body.
        case password
        /// A random-looking value where credentials go (a cookie, a token header, query or body member).
        case highEntropy = "high-entropy"
        case privateKey = "private-key"
        case awsAccessKeyID = "aws-access-key-id"
        case githubToken = "github-token"
        case slackToken = "slack-token"
        case googleAPIKey = "google-api-key"

        init(_ pattern: SecretPattern) {
            switch pattern {
            case .privateKey: self = .privateKey
            case .awsAccessKeyID: self = .awsAccessKeyID
            case .githubToken: self = .githubToken
            case .slackToken: self = .slackToken
            case .googleAPIKey: self = .googleAPIKey
            }
        }

        var explanation: String {
            switch self {
            case .jwtSignature: return "JWT with its real signature"
            case .bearerToken: return "Authorization credential not redacted"
            case .basicCredentials: return "Basic credentials with the real password"
            case .password: return "password or secret not redacted"
            case .highEntropy: return "random-looking value in a credential position"
            case .privateKey: return "PEM private key"
            case .awsAccessKeyID: return "AWS access key id"
            case .githubToken: return "GitHub token"
            case .slackToken: return "Slack token"
            case .googleAPIKey: return "Google API key"
            }
        }
    }

    /// Where in a session: an exchange's request or response, a WebSocket message, an anomaly's data.
    public enum Part: Hashable, Sendable, CustomStringConvertible {
        case request(exchange: Int)
        case response(exchange: Int)
        case message(index: Int)
        case anomaly(index: Int)

        public var description: String {
            switch self {
            case .request(let e): return "exchange \(e) request"
            case .response(let e): return "exchange \(e) response"
            case .message(let i): return "websocket message \(i)"
            case .anomaly(let i): return "anomaly \(i)"
            }
        }
    }

    public var session: String
    public var part: Part
    /// `header:Authorization`, `target`, `query:token`, `body`, `body:$.password`,
    /// `payload:$.token`, `subprotocol`, `data`.
    public var field: String
    public var kind: Kind

    public init(session: String, part: Part, field: String, kind: Kind) {
        self.session = session
        self.part = part
        self.field = field
        self.kind = kind
    }

    /// `session s1, exchange 0 request, header:Authorization: JWT with its real signature (jwt-signature)`.
    public var description: String { "session \(session), \(part), \(field): \(kind.explanation) (\(kind.rawValue))" }
}

/// Scans recordings for secrets that redaction should have replaced: JWTs
/// with real signatures, credentials in Authorization, passwords in bodies,
/// random-looking values where credentials go, private keys and cloud key
/// formats. Pure; never reports the values themselves.
public struct SecretLinter: Sendable {
    /// Where credentials go (the same positions `Redactor` redacts).
    public var rules: RedactionRules

    public init(rules: RedactionRules = .default) {
        self.rules = rules
    }

    public func lint(_ recording: Recording) -> [LintFinding] {
        var findings: [LintFinding] = []
        for session in recording.sessions {
            var scan = LintScan(rules: rules, session: session.id)
            for (e, exchange) in session.exchanges.enumerated() {
                scan.part = .request(exchange: e)
                scan.target(exchange.request.target)
                scan.headers(exchange.request.headers + exchange.request.trailers)
                scan.body(exchange.request.body, headers: exchange.request.headers)
                if let response = exchange.response {
                    scan.part = .response(exchange: e)
                    scan.headers(response.headers + response.trailers + response.interim.flatMap(\.headers))
                    scan.body(response.body, headers: response.headers)
                    for event in response.stream?.events ?? [] {
                        if let data = event.data { scan.document(data, field: "event", isForm: false) }
                    }
                }
            }
            for (i, message) in (session.websocket?.messages ?? []).enumerated() {
                scan.part = .message(index: i)
                if case .text(let payload) = message.payload {
                    scan.document(payload, field: "payload", isForm: false)
                }
            }
            for (i, anomaly) in session.anomalies.enumerated() {
                scan.part = .anomaly(index: i)
                if case .text(let data)? = anomaly.data { scan.rawHTTPText(data) }
            }
            findings += scan.findings
        }
        return findings
    }
}

/// One session's scan; `part` says where the values being scanned are.
struct LintScan {
    let rules: RedactionRules
    let session: String
    var part: LintFinding.Part = .request(exchange: 0)
    var findings: [LintFinding] = []

    init(rules: RedactionRules, session: String) {
        self.rules = rules
        self.session = session
    }

    mutating func report(_ field: String, _ kind: LintFinding.Kind) {
        let finding = LintFinding(session: session, part: part, field: field, kind: kind)
        if !findings.contains(finding) { findings.append(finding) }
    }

    /// JWTs with real signatures and well-known secret formats, anywhere.
    mutating func text(_ text: String, field: String) {
        for jwt in JWT.findAll(in: text) where !jwt.encodedSignature.isEmpty && !Pseudonymizer.isRedactedSignature(jwt.encodedSignature) {
            report(field, .jwtSignature)
        }
        for match in SecretPattern.find(in: text) { report(field, LintFinding.Kind(match.pattern)) }
    }

    /// A value where a credential goes: pseudonyms, redacted JWTs (reported by `text`) and plain words pass.
    mutating func credential(_ value: String, field: String, always kind: LintFinding.Kind? = nil) {
        let value = value.trimmingSpaces()
        if value.isEmpty || Pseudonymizer.isPseudonym(value) || !JWT.findAll(in: value).isEmpty { return }
        if let kind {
            report(field, kind)
        } else if Entropy.looksRandom(value) {
            report(field, .highEntropy)
        }
    }

    mutating func headers(_ fields: [HeaderField]) {
        for field in fields {
            let name = field.name.lowercased()
            let location = "header:\(field.name)"
            switch name {
            case "authorization", "proxy-authorization":
                let value = field.value.trimmingSpaces()
                if let space = value.firstIndex(of: " ") {
                    let credentials = value[value.index(after: space)...].trimmingSpaces()
                    if value[..<space].lowercased() == "basic" {
                        if let decoded = Base64.decode(credentials), let text = String(validating: decoded, as: UTF8.self),
                           let colon = text.firstIndex(of: ":") {
                            credential(String(text[text.index(after: colon)...]), field: location, always: .basicCredentials)
                        } else {
                            credential(credentials, field: location, always: .basicCredentials)
                        }
                    } else {
                        credential(credentials, field: location, always: .bearerToken)
                    }
                } else {
                    credential(value, field: location, always: .bearerToken)
                }
            case "cookie":
                for (cookie, value) in CredentialLocator.cookiePairs(field.value) where rules.cookies.mayCarrySecret(name: cookie) {
                    credential(value, field: "cookie:\(cookie)")
                }
            case "set-cookie":
                let pair = field.value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                if let eq = pair.firstIndex(of: "="), rules.cookies.mayCarrySecret(name: pair[..<eq].trimmingSpaces()) {
                    credential(String(pair[pair.index(after: eq)...]), field: "set-cookie:\(pair[..<eq].trimmingSpaces())")
                }
            default:
                if rules.headers.contains(name) { credential(field.value, field: location) }
            }
            text(field.value, field: location)
        }
    }

    /// Bytes kept after a parse failure: header lines are checked as headers, the rest as text.
    mutating func rawHTTPText(_ data: String) {
        var rest: [Substring] = []
        // By scalars: "\r\n" is one Character, so splitting the String would not split CRLF lines.
        for scalars in data.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = Substring(String(String.UnicodeScalarView(scalars)))
            if let colon = line.firstIndex(of: ":"), !line[..<colon].contains(" "), !line[..<colon].isEmpty {
                headers([HeaderField(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: " \t\r"))])
            } else {
                rest.append(line)
            }
        }
        text(rest.joined(separator: "\n"), field: "data")
    }

    mutating func target(_ target: String) {
        let query = target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) }
        text(String(target[..<(target.firstIndex(of: "?") ?? target.endIndex)]), field: "target")
        for (name, value) in CredentialLocator.queryPairs(query) {
            let field = "query:\(name)"
            if rules.queryNames.contains(name.lowercased()) { credential(value, field: field) }
            text(value, field: field)
        }
    }

    mutating func body(_ body: Body?, headers: [HeaderField]) {
        guard case .text(let text)? = body else { return }
        let isForm = headers.first("Content-Type")?.lowercased().contains("application/x-www-form-urlencoded") == true
        document(text, field: "body", isForm: isForm)
    }

    mutating func document(_ document: String, field: String, isForm: Bool) {
        if isForm {
            for (name, value) in CredentialLocator.queryPairs(document) {
                let location = "\(field):\(name)"
                bodyMember(name: name, value: value, field: location)
                text(value, field: location)
            }
            return
        }
        guard let json = try? JSONParser.parse(document), json.objectValue != nil || json.arrayValue != nil else {
            text(document, field: field)
            return
        }
        walk(json, path: .root, field: field, forced: false)
    }

    private mutating func bodyMember(name: String, value: String, field: String) {
        let lower = name.lowercased()
        if RedactionRules.passwordKeys.contains(lower) && rules.bodyKeys.contains(lower) {
            credential(value, field: field, always: .password)
        } else if rules.bodyKeys.contains(lower) {
            credential(value, field: field)
        }
    }

    private mutating func walk(_ value: JSONValue, path: JSONPath, field: String, forced: Bool) {
        switch value {
        case .object(let members):
            for (name, member) in members {
                let memberPath = path.appending(key: name)
                let covered = forced || covers(memberPath)
                if case .string(let s) = member, !covered {
                    bodyMember(name: name, value: s, field: "\(field):\(memberPath.text)")
                }
                walk(member, path: memberPath, field: field, forced: covered)
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() {
                let elementPath = path.appending(index: i)
                walk(element, path: elementPath, field: field, forced: forced || covers(elementPath))
            }
        case .string(let s):
            let location = "\(field):\(path.text)"
            if forced { credential(s, field: location, always: .password) }
            text(s, field: location)
        case .null, .bool, .number:
            break
        }
    }

    private func covers(_ path: JSONPath) -> Bool {
        rules.pathPatterns.contains { $0.segments.count == path.segments.count && $0.matches(path) }
    }
}
