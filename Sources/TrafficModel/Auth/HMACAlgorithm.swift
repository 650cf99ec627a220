import Crypto

/// The JWS HMAC algorithms, HS256/HS384/HS512 (RFC 7518 §3.2), by their
/// `alg` names. A token names its algorithm at run time, so this picks
/// swift-crypto's `HMAC<SHA256>`, `HMAC<SHA384>` or `HMAC<SHA512>` for it.
/// Keys of any length are taken, as RFC 2104 and RFC 7518 do: a test secret
/// may be shorter than the recommended size.
public enum HMACAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// The signature over `message` (for a JWT, the `header.claims` bytes).
    public func authenticationCode(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Self.authenticationCode(hashFunction, message, SymmetricKey(data: key))
    }

    /// Whether `code` is the signature over `message`, compared in constant
    /// time so a verifier does not tell by its timing how much of a forged
    /// signature matched.
    public func isValidAuthenticationCode(_ code: [UInt8], for message: [UInt8], key: [UInt8]) -> Bool {
        Self.isValid(hashFunction, code, message, SymmetricKey(data: key))
    }

    private var hashFunction: any HashFunction.Type {
        switch self {
        case .hs256: SHA256.self
        case .hs384: SHA384.self
        case .hs512: SHA512.self
        }
    }

    private static func authenticationCode<H: HashFunction>(_: H.Type, _ message: [UInt8], _ key: SymmetricKey) -> [UInt8] {
        Array(HMAC<H>.authenticationCode(for: message, using: key))
    }

    private static func isValid<H: HashFunction>(_: H.Type, _ code: [UInt8], _ message: [UInt8], _ key: SymmetricKey) -> Bool {
        HMAC<H>.isValidAuthenticationCode(code, authenticating: message, using: key)
    }
}
