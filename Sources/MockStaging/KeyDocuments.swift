public import TrafficModel

/// The OpenID Connect discovery documents (OIDC Discovery 1.0 §4, RFC 8414)
/// and JWK Sets (RFC 7517 §5) of the recordings, which the mock answers with
/// its test key: a client that fetches keys from `jwks_uri` then verifies
/// the tokens the mock signed.
public struct KeyDocuments: Sendable {
    /// The paths metadata documents are served at.
    public static let discoverySuffixes = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]
    /// The mock's own JWKS, always served (`GET /__authreplay/jwks.json`).
    public static let adminPath = MockReplay.adminPrefix + "jwks.json"

    /// `issuer` of every recorded discovery document.
    public private(set) var issuers: Set<String> = []
    /// The paths of every recorded `jwks_uri`.
    public private(set) var jwksPaths: Set<String> = []

    public init(recordings: [Recording]) {
        for recording in recordings {
            for session in recording.sessions {
                for exchange in session.exchanges where Self.isDiscovery(exchange.request.path) {
                    guard let text = exchange.response?.body?.text, let document = try? JSONParser.parse(text) else { continue }
                    if let issuer = document["issuer"]?.stringValue { issuers.insert(Self.trimmed(issuer)) }
                    if let uri = document["jwks_uri"]?.stringValue, let path = Self.path(of: uri) { jwksPaths.insert(path) }
                }
            }
        }
    }

    static func isDiscovery(_ path: String) -> Bool { discoverySuffixes.contains { path.hasSuffix($0) } }

    /// Whether `path` is where a JWKS is served (a recorded `jwks_uri`).
    public func isJWKS(_ path: String) -> Bool { jwksPaths.contains(path) }

    /// A response body that is a JWK Set: an object whose `keys` is an array of objects with `kty`.
    static func looksLikeJWKS(_ body: String) -> Bool {
        guard let document = try? JSONParser.parse(body), let keys = document["keys"]?.arrayValue, !keys.isEmpty else { return false }
        return keys.allSatisfy { $0["kty"]?.stringValue != nil }
    }

    /// The recorded answer to a metadata or JWKS request as the mock sends it,
    /// or nil when `path` is neither.
    public func answer(_ response: HTTPResponse, path: String, signing: TestKeySigning) -> HTTPResponse? {
        guard let text = response.body?.text else { return nil }
        var result = response
        if Self.isDiscovery(path) {
            guard let issuer = signing.issuer, let document = try? JSONParser.parse(text) else { return response }
            result.body = .text(JSONWriter.pretty(rewritingIssuer(document, to: issuer)))
            return result
        }
        guard isJWKS(path) || Self.looksLikeJWKS(text) else { return nil }
        result.body = .text(JSONWriter.pretty(signing.jwks))
        return result
    }

    /// `--issuer`: `iss` for a token the mock re-signs (the recorded issuer's
    /// tokens, or any token when the recordings hold no discovery document).
    func issuerClaim(for jwt: JWT, signing: TestKeySigning) -> [String: JSONValue] {
        guard let issuer = signing.issuer, let iss = jwt.claims["iss"]?.stringValue else { return [:] }
        guard issuers.isEmpty || issuers.contains(Self.trimmed(iss)) else { return [:] }
        return ["iss": .string(issuer)]
    }

    /// Every string in the document that starts with a recorded issuer (the
    /// `issuer` itself, `jwks_uri`, the endpoints) moved to `issuer`.
    private func rewritingIssuer(_ value: JSONValue, to issuer: String) -> JSONValue {
        switch value {
        case .string(let text):
            for recorded in issuers where text == recorded || text.hasPrefix(recorded + "/") {
                return .string(issuer + text.dropFirst(recorded.count))
            }
            return value
        case .array(let items):
            return .array(items.map { rewritingIssuer($0, to: issuer) })
        case .object(let members):
            return .object(members.map { ($0.0, rewritingIssuer($0.1, to: issuer)) })
        case .null, .bool, .number:
            return value
        }
    }

    /// The path of an absolute URL (`https://host:port/path?query` → `/path`).
    static func path(of url: String) -> String? {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return url.hasPrefix("/") ? url : nil }
        let rest = parts[1]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        let path = rest[slash...]
        return String(path.prefix { $0 != "?" && $0 != "#" })
    }

    static func trimmed(_ issuer: String) -> String { issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer }
}
