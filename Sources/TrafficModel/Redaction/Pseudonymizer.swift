import Crypto

/// Deterministic stand-ins for secret values.
///
/// A pseudonym is a keyed hash (HMAC-SHA-256) of the value, so the same value
/// gets the same pseudonym in every recording made with the same key, and the
/// mock computes it again for a live request (symmetric redaction). Equal
/// values stay equal, different values stay different (64 bits of hash for
/// plain values).
///
/// Anyone holding the key can test a guessed value against a pseudonym, so
/// the command line never uses `defaultKey` (public, in this file): it keys
/// pseudonyms with a random per-project key kept outside the recording (see
/// docs/redaction.md). The library default stays fixed so tests and golden
/// files are reproducible.
public struct Pseudonymizer: Hashable, Sendable {
    /// The project key: deterministic across runs and machines.
    public static let defaultKey: [UInt8] = Array("authreplay/redaction/v1".utf8)
    /// The visible marker every plain pseudonym starts with.
    public static let marker = "redacted:"
    /// Base64url letters a pseudonymized JWT signature starts with, so a
    /// redacted JWT is still a valid three-part token and is recognised as redacted.
    public static let signaturePrefix = "REDACTED"

    public var key: [UInt8]

    public init(key: [UInt8] = Pseudonymizer.defaultKey) {
        self.key = key
    }

    /// A public name for the key, written into redacted recordings so the
    /// mock and Replay can tell whether they hold the key a recording was
    /// made with. nil for the public default key. Reveals nothing about the
    /// key (an HMAC of a constant under it).
    public var keyID: String? {
        guard key != Self.defaultKey else { return nil }
        return keyedHash(Array("authreplay pseudonym key id".utf8)).prefix(6).map { byte in
            String(Self.hexDigits[Int(byte >> 4)]) + String(Self.hexDigits[Int(byte & 0x0F)])
        }.joined()
    }

    /// `redacted:` and 16 hex digits.
    public func pseudonym(for value: String) -> String {
        let digest = keyedHash(Array("value\u{0}\(value)".utf8))
        var out = Self.marker
        for byte in digest.prefix(8) {
            out.append(Self.hexDigits[Int(byte >> 4)])
            out.append(Self.hexDigits[Int(byte & 0x0F)])
        }
        return out
    }

    /// A base64url string of the same length as `signature` (at least 16),
    /// starting with `REDACTED`.
    public func signature(for signature: String) -> String {
        let length = max(signature.utf8.count, Self.signaturePrefix.utf8.count + 8)
        var out = Self.signaturePrefix
        var counter: UInt8 = 0
        while out.utf8.count < length {
            out += Base64.encode(keyedHash([counter] + Array("signature\u{0}\(signature)".utf8)), url: true, padding: false)
            counter &+= 1
        }
        return String(out.prefix(length))
    }

    public static func isPseudonym(_ value: some StringProtocol) -> Bool { value.hasPrefix(marker) }

    public static func isRedactedSignature(_ signature: some StringProtocol) -> Bool { signature.hasPrefix(signaturePrefix) }

    /// The one place the keyed hash is chosen. Changing it changes every
    /// pseudonym, and so every redacted recording.
    private func keyedHash(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")
}

/// Says `.redacted` for a JWT whose signature redaction replaced, and defers
/// to `base` (or `.unverified`) for every other token. `Redactor` recomputes
/// auth findings with it.
public struct RedactedSignatureVerifier: JWTSignatureVerifier {
    public var base: (any JWTSignatureVerifier)?

    public init(base: (any JWTSignatureVerifier)? = nil) {
        self.base = base
    }

    public func verify(_ jwt: JWT) -> JWTInfo.Signature {
        if Pseudonymizer.isRedactedSignature(jwt.encodedSignature) { return .redacted }
        return base?.verify(jwt) ?? .unverified
    }
}
