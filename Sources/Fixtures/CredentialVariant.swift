public import TrafficModel

/// A negative variant of a presented credential, as an auth regression
/// fixture needs it. Variants that change claims (times, audience, issuer,
/// subject) are signed with the key the target trusts, so the target judges
/// the claim and not the signature; without a key they are not made.
public enum CredentialVariant: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case expired
    case notYetValid = "not-yet-valid"
    case badSignature = "bad-signature"
    case algNone = "alg-none"
    case missing
    case malformed
    case wrongAudience = "wrong-aud"
    case wrongIssuer = "wrong-iss"
    case otherSubject = "other-subject"

    public var description: String { rawValue }

    /// The audience, issuer and subject put in the wrong-* variants.
    public static let wrongAudienceValue = "authreplay-wrong-audience"
    public static let wrongIssuerValue = "https://authreplay.invalid/"
    public static let otherSubjectValue = "authreplay-other-subject"

    /// Signed with the target's key (`--resign-jwt`/`--resign-jwt-key`).
    public var needsKey: Bool {
        switch self {
        case .expired, .notYetValid, .wrongAudience, .wrongIssuer, .otherSubject: return true
        case .badSignature, .algNone, .missing, .malformed: return false
        }
    }

    /// Only a JWT has claims and a signature to change.
    public var needsJWT: Bool { self != .missing && self != .malformed }

    /// The variants a credential of `scheme` gets, with a key or without.
    public static func applicable(to scheme: AuthFinding.Scheme, withKey: Bool) -> [CredentialVariant] {
        allCases.filter { variant in
            (scheme == .jwt || !variant.needsJWT) && (withKey || !variant.needsKey)
        }
    }

    /// The credential value this variant sends in place of `value`; nil for
    /// `missing` (the credential is removed) and where it cannot apply.
    /// `now` (seconds since the epoch) anchors the time claims.
    public func value(replacing value: String, key: (any JWTSigningKey)?, now: Double) -> String? {
        switch self {
        case .missing:
            return nil
        case .malformed:
            // The first part only, cut: no longer three base64url parts, nor a valid cookie/Basic value.
            let head = value.split(separator: ".").first.map(String.init) ?? value
            return String(head.prefix(max(1, head.count / 2))) + "%%malformed%%"
        default:
            break
        }
        guard let jwt = JWT(value) else { return nil }
        switch self {
        case .badSignature:
            var signature = Base64.decode(jwt.encodedSignature) ?? []
            if signature.isEmpty { signature = Array(repeating: 0, count: 32) }
            // Every bit flipped: same length, never the right MAC or signature.
            return "\(jwt.signingInput).\(Base64.encode(signature.map { ~$0 }, url: true, padding: false))"
        case .algNone:
            return JWT.unsecured(header: jwt.header, claims: jwt.claims)
        default:
            guard let key else { return nil }
            let whole = Int(now.rounded(.down))
            var claims: [String: JSONValue]
            switch self {
            case .expired:
                claims = ["iat": .int(whole - 7200), "exp": .int(whole - 3600)]
                if jwt.claims["nbf"] != nil { claims["nbf"] = .int(whole - 7200) }
            case .notYetValid:
                claims = ["iat": .int(whole), "nbf": .int(whole + 3600), "exp": .int(whole + 7200)]
            case .wrongAudience:
                claims = ["aud": jwt.claims["aud"]?.arrayValue != nil ? .array([.string(Self.wrongAudienceValue)]) : .string(Self.wrongAudienceValue)]
            case .wrongIssuer:
                claims = ["iss": .string(Self.wrongIssuerValue)]
            case .otherSubject:
                claims = ["sub": .string(Self.otherSubjectValue)]
            default:
                return nil
            }
            // The one re-signer: header members kept, `alg` the key's when it cannot sign the token's own.
            return JWTResigner(key: key).resign(jwt, shift: 0, claims: claims)
        }
    }
}
