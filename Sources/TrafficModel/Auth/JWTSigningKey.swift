/// Signs JWTs: re-signing recorded tokens on replay, and the tokens the mock
/// hands out. The HMAC key lives in TrafficModel; public-key ones live where
/// their crypto is loaded (the CLI's jwt-kit key-file adapter), so the
/// libraries stay free of key parsing.
public protocol JWTSigningKey: Sendable {
    /// The `alg` used when a token's own algorithm is not one `signs` accepts.
    var defaultAlgorithm: String { get }

    /// Whether this key signs with `algorithm` (a JWS `alg` name, exact case).
    func signs(_ algorithm: String) -> Bool

    /// The signature over `input` (the `header.claims` bytes) with
    /// `algorithm`, one that `signs` accepted. Not throwing: implementations
    /// prove at load that the key signs, and key-pair signing (RSA, ECDSA,
    /// EdDSA) has no failure after that.
    func sign(_ input: [UInt8], algorithm: String) -> [UInt8]

    /// The public key as a JWK (RFC 7517 §4: `kty` and the key's public
    /// members, no `kid`), for the JWKS the mock serves; nil for a secret
    /// (an HMAC key must never be published).
    var publicJWK: JSONValue? { get }
}

extension JWTSigningKey {
    public var publicJWK: JSONValue? { nil }
}

extension HMACSigningKey {
    /// The `kid` the mock writes into tokens signed with a secret: a fixed
    /// name, since a thumbprint of a secret would let anyone test guesses.
    public static let keyID = "authreplay-test-secret"
}
