public import TrafficModel

/// `serve --sign-key` / `--sign-secret`: the test key the mock signs every
/// JWT it hands out with, and what it publishes about it.
public struct TestKeySigning: Sendable {
    public var resigner: JWTResigner
    /// Checks signatures with the same key (a PEM private key verifies too).
    public var verifier: any JWTSignatureVerifier
    /// The `kid` written into every token: the RFC 7638 thumbprint of the
    /// public JWK, or a fixed name for a secret.
    public var keyID: String
    /// `--issuer`: the discovery document's `issuer`, its endpoints and the
    /// tokens' `iss` are moved from the recorded issuer to this one.
    public var issuer: String?

    public init(key: any JWTSigningKey, verifier: any JWTSignatureVerifier, issuer: String? = nil) {
        self.resigner = JWTResigner(key: key)
        self.verifier = verifier
        self.keyID = key.publicJWK.flatMap(JWKThumbprint.sha256(of:)) ?? HMACSigningKey.keyID
        self.issuer = issuer.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// An HMAC secret (`--sign-secret ALG:SECRET`), verified by the same secret.
    public init(hmac key: HMACSigningKey, issuer: String? = nil) {
        self.init(key: key, verifier: HMACJWTVerifier(secret: key.secret), issuer: issuer)
    }

    /// The JWK Set (RFC 7517 §5) the mock serves: the test key's public JWK
    /// with its `kid`; empty for a secret, which is never published.
    public var jwks: JSONValue {
        guard case .object(let members) = resigner.key.publicJWK else { return .object([("keys", .array([]))]) }
        return .object([("keys", .array([.object(members + [("kid", .string(keyID))])]))])
    }
}
