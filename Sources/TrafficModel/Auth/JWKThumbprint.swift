import Crypto

/// RFC 7638 JWK thumbprints: the `kid` of the mock's test key, so the id is
/// the same for the same key in every run and names nothing else.
public enum JWKThumbprint {
    /// The members a thumbprint covers, per `kty` (RFC 7638 §3.2, RFC 8037 §2).
    static let requiredMembers: [String: [String]] = [
        "RSA": ["e", "kty", "n"],
        "EC": ["crv", "kty", "x", "y"],
        "OKP": ["crv", "kty", "x"],
        "oct": ["k", "kty"],
    ]

    /// base64url(SHA-256(the required members, in name order, compact JSON)),
    /// or nil when `jwk` lacks one of them.
    public static func sha256(of jwk: JSONValue) -> String? {
        guard let kty = jwk["kty"]?.stringValue, let names = requiredMembers[kty] else { return nil }
        var members: [(String, JSONValue)] = []
        for name in names {
            guard let value = jwk[name]?.stringValue else { return nil }
            members.append((name, .string(value)))
        }
        let digest = SHA256.hash(data: Array(JSONWriter.compact(.object(members)).utf8))
        return Base64.encode(Array(digest), url: true, padding: false)
    }
}
