/// Verifies HS256/HS384/HS512 JWT signatures (RFC 7518 §3.2) with a shared
/// secret. Other algorithms cannot be checked with a secret and are reported
/// `unverified`; a signature that redaction replaced is `redacted`.
public struct HMACJWTVerifier: JWTSignatureVerifier {
    public let secret: [UInt8]

    public init(secret: [UInt8]) { self.secret = secret }

    public func verify(_ jwt: JWT) -> JWTInfo.Signature {
        guard let name = jwt.algorithm, let algorithm = HMACAlgorithm(rawValue: name) else { return .unverified }
        guard let signature = Base64.decode(jwt.encodedSignature) else { return .invalid }
        let valid = algorithm.isValidAuthenticationCode(signature, for: Array(jwt.signingInput.utf8), key: secret)
        return valid ? .valid : .invalid
    }
}
