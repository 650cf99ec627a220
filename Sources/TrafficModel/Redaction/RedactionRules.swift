/// What redaction replaces. Authorization and Proxy-Authorization values
/// (the scheme word kept), Cookie and Set-Cookie values (names and
/// attributes kept), JWT signatures anywhere, and well-known secret formats
/// (private keys, cloud keys) are always redacted; the lists below add to that.
///
/// The defaults are `RedactionRules.default`; a rules file
/// (`authreplay.redact.json`, see `RedactionRules.parse`) adds names to them.
public struct RedactionRules: Sendable {
    /// Request and response headers whose whole value is a secret (lowercased).
    public private(set) var headers: Set<String>
    /// Query parameters whose value is a secret (lowercased).
    public private(set) var queryNames: Set<String>
    /// JSON member names and form field names whose value is a secret (lowercased).
    public private(set) var bodyKeys: Set<String>
    /// JSON paths (`$.user.ssn`, `$.items[*].pin`) whose string values are secrets.
    public private(set) var jsonPaths: [String]
    /// Regular expressions; every match in a header, target, body or message is a secret.
    public private(set) var regexes: [String]
    /// JWT claims whose values are pseudonymized too (`email`).
    public private(set) var redactClaims: Set<String>
    public var pseudonymizer: Pseudonymizer
    /// Which cookies are credentials (for findings and the mock's matching).
    public var cookies: CookieRules = .default

    /// Where credentials are, with these rules' cookie names.
    public var credentialLocator: CredentialLocator {
        var locator = CredentialLocator.default
        locator.cookies = cookies
        return locator
    }

    let pathPatterns: [PathPattern]
    let compiledRegexes: [CompiledRegex]
    /// Says when a value cannot change, so the pass skips it (import speed).
    let prescan: RedactionPrescan

    public static let defaultHeaders: Set<String> = ["x-api-key", "x-auth-token", "x-access-token", "api-key", "x-amz-security-token"]
    public static let defaultQueryNames: Set<String> = ["token", "access_token", "api_key", "apikey", "key", "jwt", "id_token", "auth"]
    public static let defaultBodyKeys: Set<String> = [
        "password", "passwd", "pwd", "secret", "client_secret", "refresh_token", "access_token", "id_token", "token",
        "api_key", "apikey", "private_key", "session_token", "auth_token",
    ]
    /// Body keys whose values are secrets however short or simple (the linter
    /// flags them even when they do not look random).
    public static let passwordKeys: Set<String> = ["password", "passwd", "pwd", "secret", "client_secret", "private_key"]

    public static let `default` = RedactionRules(defaultsOnly: ())

    /// Rules with the defaults plus the given names; names are compared case-insensitively.
    /// - Throws: when a JSON path or a regular expression does not parse (`at` is `$.jsonPaths[i]` / `$.regexes[i]`).
    public init(
        headers: [String] = [], queryNames: [String] = [], bodyKeys: [String] = [], jsonPaths: [String] = [],
        regexes: [String] = [], redactClaims: [String] = [], pseudonymizer: Pseudonymizer = Pseudonymizer(),
        cookies: CookieRules = .default
    ) throws(RecordingError) {
        self.cookies = cookies
        self.headers = Self.defaultHeaders.union(headers.map { $0.lowercased() })
        self.queryNames = Self.defaultQueryNames.union(queryNames.map { $0.lowercased() })
        self.bodyKeys = Self.defaultBodyKeys.union(bodyKeys.map { $0.lowercased() })
        self.jsonPaths = jsonPaths
        self.regexes = regexes
        self.redactClaims = Set(redactClaims)
        self.pseudonymizer = pseudonymizer
        var patterns: [PathPattern] = []
        for (i, path) in jsonPaths.enumerated() {
            guard path.hasPrefix("$"), path.count > 1 else {
                throw RecordingError(.invalidValue, at: "$.jsonPaths[\(i)]", "\"\(path)\" is not a JSON path; write it like \"$.user.ssn\" or \"$.items[*].pin\"")
            }
            patterns.append(PathPattern(path))
        }
        var compiled: [CompiledRegex] = []
        for (i, pattern) in regexes.enumerated() {
            guard !pattern.isEmpty else {
                throw RecordingError(.invalidValue, at: "$.regexes[\(i)]", "an empty regular expression would match everywhere")
            }
            do {
                compiled.append(CompiledRegex(source: pattern, regex: try Regex(pattern)))
            } catch {
                throw RecordingError(.invalidValue, at: "$.regexes[\(i)]", "\"\(pattern)\" is not a valid regular expression: \(error)")
            }
        }
        self.pathPatterns = patterns
        self.compiledRegexes = compiled
        self.prescan = RedactionPrescan(bodyKeys: self.bodyKeys, jsonPaths: jsonPaths, regexes: regexes)
    }

    private init(defaultsOnly: ()) {
        // The defaults have no paths or regexes, so nothing can fail.
        headers = Self.defaultHeaders
        queryNames = Self.defaultQueryNames
        bodyKeys = Self.defaultBodyKeys
        jsonPaths = []
        regexes = []
        redactClaims = []
        pseudonymizer = Pseudonymizer()
        pathPatterns = []
        compiledRegexes = []
        prescan = RedactionPrescan(bodyKeys: Self.defaultBodyKeys, jsonPaths: [], regexes: [])
    }

    /// These rules with more claims to pseudonymize (`--redact-claim`).
    public func addingClaims(_ claims: [String]) -> RedactionRules {
        var copy = self
        copy.redactClaims.formUnion(claims)
        return copy
    }
}

/// A user's regular expression, compiled once.
struct CompiledRegex: @unchecked Sendable {
    // `Regex` is a value type holding an immutable program; it is only read.
    let source: String
    let regex: Regex<AnyRegexOutput>
}
