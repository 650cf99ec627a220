/// Re-signs JWTs with a key the other side trusts, times shifted so the
/// token relates to "now" exactly as it related to its recorded moment (same
/// age, same remaining lifetime). The one re-signer: Replay re-signs the
/// tokens it presents to a live server (`replay --resign-jwt`), the mock the
/// tokens it hands out (`serve --sign-key`).
///
/// The key is an HMAC secret (`HMACSigningKey`) or any other `JWTSigningKey`
/// (the CLI's jwt-kit PEM adapter). The token keeps its `alg` when the key
/// signs with it (an RSA key re-signs a PS384 token as PS384), else it gets
/// the key's default algorithm. NumericDates are written as integers
/// (jwt-kit writes fractional `exp`; servers that parse `exp` as an integer
/// reject those), which is why the claims are rewritten here and a key only
/// signs bytes.
public struct JWTResigner: Sendable {
    public static let timeClaims: Set<String> = ["iat", "nbf", "exp"]

    public var key: any JWTSigningKey

    public init(key: any JWTSigningKey) {
        self.key = key
    }

    public init(algorithm: HMACAlgorithm, secret: [UInt8]) {
        self.init(key: HMACSigningKey(algorithm: algorithm, secret: secret))
    }

    /// The `alg` a re-signed `jwt` gets: its own when the key signs with it.
    public func algorithm(for jwt: JWT) -> String {
        key.algorithm(keeping: jwt.algorithm)
    }

    /// `jwt` with every time claim moved by `shift` seconds, `alg` set to
    /// `algorithm(for:)`, signed with the key.
    /// - Parameters:
    ///   - keyID: written as the header's `kid` (nil: the header keeps its own);
    ///     other header members (`typ: at+jwt`) are kept.
    ///   - claims: members replaced in the claims after the shift (`iss` for `serve --issuer`).
    public func resign(_ jwt: JWT, shift: Int, keyID: String? = nil, claims replaced: [String: JSONValue] = [:]) -> String {
        let algorithm = algorithm(for: jwt)
        var header = jwt.encodedHeader
        var headerChanges: [String: JSONValue] = [:]
        if jwt.algorithm != algorithm { headerChanges["alg"] = .string(algorithm) }
        if let keyID, jwt.header["kid"]?.stringValue != keyID { headerChanges["kid"] = .string(keyID) }
        if !headerChanges.isEmpty, case .object(let members) = jwt.header {
            header = Self.encode(Self.replacing(members, with: headerChanges))
        }
        var claims = jwt.encodedClaims
        if case .object(let members) = jwt.claims,
           !replaced.isEmpty || members.contains(where: { Self.timeClaims.contains($0.0) }) {
            let shifted = members.map { member -> (String, JSONValue) in
                guard Self.timeClaims.contains(member.0), let seconds = member.1.doubleValue else { return member }
                return (member.0, .int(Int(seconds.rounded()) + shift))
            }
            claims = Self.encode(Self.replacing(shifted, with: replaced))
        }
        let input = "\(header).\(claims)"
        let signature = key.sign(Array(input.utf8), algorithm: algorithm)
        return "\(input).\(Base64.encode(signature, url: true, padding: false))"
    }

    /// `members` with the values of `changes` in place (new names appended, in name order).
    private static func replacing(_ members: [(String, JSONValue)], with changes: [String: JSONValue]) -> [(String, JSONValue)] {
        guard !changes.isEmpty else { return members }
        var result = members.map { member in (member.0, changes[member.0] ?? member.1) }
        let present = Set(members.map(\.0))
        for name in changes.keys.sorted() where !present.contains(name) { result.append((name, changes[name]!)) }
        return result
    }

    private static func encode(_ members: [(String, JSONValue)]) -> String {
        JWT.encode(.object(members))
    }
}

/// An HMAC secret (`replay --resign-jwt ALG:SECRET`, `serve --sign-secret
/// ALG:SECRET`): signs with exactly the algorithm given (a recorded HS512
/// token re-signed with `HS256:…` becomes HS256, as the other side expects).
public struct HMACSigningKey: JWTSigningKey {
    public var algorithm: HMACAlgorithm
    public var secret: [UInt8]

    public init(algorithm: HMACAlgorithm, secret: [UInt8]) {
        self.algorithm = algorithm
        self.secret = secret
    }

    /// Parses `ALG:SECRET`, e.g. `HS256:my-staging-secret` (the secret is
    /// taken as UTF-8 bytes, everything after the first colon). `option` and
    /// `keyOption` name the flags in the error (`--resign-jwt`, `--resign-jwt-key`).
    public init(spec: String, option: String, keyOption: String) throws(RecordingError) {
        guard let colon = spec.firstIndex(of: ":") else {
            throw RecordingError(.invalidSigningKey, "\"\(option)\" takes ALG:SECRET, e.g. HS256:my-staging-secret")
        }
        let name = spec[..<colon].uppercased()
        guard let algorithm = HMACAlgorithm(rawValue: name) else {
            let known = HMACAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw RecordingError(
                .invalidSigningKey,
                "algorithm \"\(spec[..<colon])\" is not supported by \(option) (supported: \(known); public-key algorithms take \(keyOption) PEM)"
            )
        }
        let secret = Array(spec[spec.index(after: colon)...].utf8)
        guard !secret.isEmpty else { throw RecordingError(.invalidSigningKey, "the secret after \"\(name):\" is empty") }
        self.init(algorithm: algorithm, secret: secret)
    }

    public var defaultAlgorithm: String { algorithm.rawValue }

    public func signs(_ algorithm: String) -> Bool { algorithm == self.algorithm.rawValue }

    public func sign(_ input: [UInt8], algorithm: String) -> [UInt8] {
        self.algorithm.authenticationCode(input, key: secret)
    }
}
