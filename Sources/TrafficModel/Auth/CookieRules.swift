/// Which cookies are credentials. A session or token cookie is one (the
/// mock matches on it, findings report it); an analytics or preference
/// cookie is not (`_ga`, `_gid`, `lang`, a consent record): a client without
/// it is the same client. Names a rules file lists win over the heuristics.
public struct CookieRules: Hashable, Sendable {
    /// Cookie names that are always credentials (lowercased).
    public var credentialNames: Set<String>
    /// Cookie names that never are (lowercased).
    public var ignoredNames: Set<String>

    public static let `default` = CookieRules()

    public init(credentialNames: some Sequence<String> = [], ignoredNames: some Sequence<String> = []) {
        self.credentialNames = Set(credentialNames.map { $0.lowercased() })
        self.ignoredNames = Set(ignoredNames.map { $0.lowercased() })
    }

    /// Decided by, in order: the listed names; analytics and preference
    /// names; a JWT value; a session-like name (`session`, `PHPSESSID`,
    /// `connect.sid`, `auth_token`, …); an opaque value (20 or more token
    /// characters mixing letters and digits, as session ids and signed
    /// cookies are).
    public func isCredential(name: String, value: String) -> Bool {
        let lower = name.lowercased()
        if credentialNames.contains(lower) { return true }
        if ignoredNames.contains(lower) || Self.isAnalyticsOrPreference(lower) { return false }
        if JWT(value) != nil { return true }
        if Self.isSessionLike(lower) { return true }
        return Self.looksOpaque(value)
    }

    /// Whether redaction replaces the cookie's value: every cookie but the
    /// analytics, preference and ignored ones, so an unknown cookie stays
    /// hidden even when the heuristics would not call it a credential.
    public func mayCarrySecret(name: String) -> Bool {
        let lower = name.lowercased()
        if credentialNames.contains(lower) { return true }
        return !(ignoredNames.contains(lower) || Self.isAnalyticsOrPreference(lower))
    }

    /// Prefixes of analytics, advertising and bot-management cookies.
    static let analyticsPrefixes = [
        "_ga", "_gid", "_gat", "_gcl", "__utm", "_fbp", "_fbc", "_hj", "ajs_", "mp_", "amplitude", "_clck", "_clsk", "_uet",
        "optimizely", "_pk_", "_hp2_", "intercom-", "__hs", "hubspot", "_dc_gtm", "_tt_", "_pin_", "_rdt_", "_scid", "_sctr",
        "__cf_bm", "_cfuvid", "cf_clearance", "muid", "_mkto_trk", "_vwo", "_lr_", "_dd_s", "rl_",
    ]
    /// Preference and consent cookies.
    static let preferenceNames: Set<String> = [
        "lang", "language", "locale", "theme", "tz", "timezone", "currency", "consent", "cookieconsent", "cookie_consent",
        "cookies_accepted", "optanonconsent", "optanonalertboxclosed", "euconsent-v2", "dark_mode", "color_scheme",
    ]

    static func isAnalyticsOrPreference(_ lower: String) -> Bool {
        preferenceNames.contains(lower) || analyticsPrefixes.contains { lower.hasPrefix($0) }
    }

    /// Words a session or token cookie's name carries. `sid` only as a whole
    /// part or an ending (`connect.sid`, `app_sid`, Google's `HSID`,
    /// `SAPISID`), so `sidebar` is not one.
    static func isSessionLike(_ lower: String) -> Bool {
        for word in ["session", "sess", "auth", "token", "jwt", "login", "remember", "identity", "credential", "sso", "saml", "oauth"]
        where lower.contains(word) {
            return true
        }
        let parts = lower.split { $0 == "." || $0 == "_" || $0 == "-" }
        return parts.contains("sid") || lower.hasSuffix("sid") || parts.contains("id") && parts.count == 1
    }

    static func looksOpaque(_ value: String) -> Bool {
        guard value.utf8.count >= 20 else { return false }
        var letters = false
        var digits = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): letters = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits = true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "%"),
                 UInt8(ascii: "|"), UInt8(ascii: ":"):  // signed cookies (Tornado's `2|1:0|10:…`, Express's `s:…`)
                break
            default:
                return false
            }
        }
        return letters && digits
    }
}
