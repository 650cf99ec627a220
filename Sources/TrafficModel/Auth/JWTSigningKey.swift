/// Signs JWTs, for re-signing recorded tokens on replay. The HMAC key lives
/// in Replay; public-key ones live where their crypto is loaded (the CLI's
/// key-file adapter), so TrafficModel and Replay stay free of key handling.
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
}
