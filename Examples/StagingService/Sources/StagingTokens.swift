import TrafficModel

/// HS256 JWTs (RFC 7519, RFC 7518 §3.2): minting and verification. Pure:
/// the secret and the moment are passed in.
public enum StagingTokens {
    /// Why a token was not accepted; `description` is what clients see in `details.error`.
    public enum Rejection: Error, Hashable, Sendable, CustomStringConvertible {
        case missing
        case malformed
        case unsupportedAlgorithm(String)
        case badSignature
        case expired
        case missingClaim(String)
        case wrongIssuer(String)

        public var description: String {
            switch self {
            case .missing: return "No token provided"
            case .malformed: return "Invalid token: not a JWT"
            case .unsupportedAlgorithm(let alg): return "Invalid token: unsupported algorithm \(alg)"
            case .badSignature: return "Invalid token: signature verification failed"
            case .expired: return "Token has expired"
            case .missingClaim(let name): return "Invalid token: missing \(name) claim"
            case .wrongIssuer(let issuer): return "Invalid token: unexpected issuer \(issuer)"
            }
        }
    }

    /// The claims the service relies on, from a verified token.
    public struct Identity: Hashable, Sendable {
        public var subject: String
        public var email: String?
        public var role: String?
        public var expires: Int
    }

    /// A signed token with claims `sub`, `email`, `role`, `iat`, `exp`, `iss` (integer NumericDates).
    public static func mint(
        sub: String, email: String, role: String, secret: String, issuedAt: Int, lifetime: Int, issuer: String
    ) -> String {
        let header: JSONValue = .object([("alg", .string("HS256")), ("typ", .string("JWT"))])
        let claims: JSONValue = .object([
            ("sub", .string(sub)), ("email", .string(email)), ("role", .string(role)),
            ("iat", .int(issuedAt)), ("exp", .int(issuedAt + lifetime)), ("iss", .string(issuer)),
        ])
        let signingInput = encode(JSONWriter.compact(header)) + "." + encode(JSONWriter.compact(claims))
        return signingInput + "." + Base64.encode(signature(signingInput, secret: secret), url: true, padding: false)
    }

    /// Verifies signature, algorithm, `exp` (against `now`), `iss` and `sub`.
    public static func verify(_ token: String?, secret: String, issuer: String, now: Double) -> Result<Identity, Rejection> {
        guard let token, !token.isEmpty else { return .failure(.missing) }
        guard let jwt = JWT(token) else { return .failure(.malformed) }
        guard jwt.algorithm == "HS256" else { return .failure(.unsupportedAlgorithm(jwt.algorithm ?? "?")) }
        // swift-crypto compares in constant time, so timing does not reveal how much matched.
        guard let presented = Base64.decode(jwt.encodedSignature),
              HMACAlgorithm.hs256.isValidAuthenticationCode(presented, for: Array(jwt.signingInput.utf8), key: Array(secret.utf8))
        else { return .failure(.badSignature) }
        guard let exp = jwt.claims["exp"]?.intValue else { return .failure(.missingClaim("exp")) }
        guard Double(exp) > now else { return .failure(.expired) }
        guard let iss = jwt.claims["iss"]?.stringValue else { return .failure(.missingClaim("iss")) }
        guard iss == issuer else { return .failure(.wrongIssuer(iss)) }
        guard let sub = jwt.claims["sub"]?.stringValue, !sub.isEmpty else { return .failure(.missingClaim("sub")) }
        return .success(Identity(
            subject: sub, email: jwt.claims["email"]?.stringValue, role: jwt.claims["role"]?.stringValue, expires: exp
        ))
    }

    private static func encode(_ text: String) -> String {
        Base64.encode(Array(text.utf8), url: true, padding: false)
    }

    private static func signature(_ signingInput: String, secret: String) -> [UInt8] {
        HMACAlgorithm.hs256.authenticationCode(Array(signingInput.utf8), key: Array(secret.utf8))
    }
}
