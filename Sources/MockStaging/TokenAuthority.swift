public import TrafficModel

/// The mock's test key seen as the issuer a real resource server trusts:
/// a token whose header names the key's `kid` is judged the way such a
/// server judges it — signature, then times, then `iss` and `aud` — instead
/// of by whether the recording issued it. Tokens the mock handed out are
/// mapped back to their recorded selves before they get here
/// (`TokenMint.restore`), so what reaches it was made or altered by the
/// client: tampered (`invalid-signature`), minted expired (`expired`), for
/// another audience or issuer (`unknown`, like any token the recorded
/// service did not accept), or valid (`issued`).
public struct TokenAuthority: Sendable {
    public var keyID: String
    /// Checks signatures with the test key.
    public var verifier: any JWTSignatureVerifier
    /// `iss` values accepted; empty accepts any.
    public var issuers: Set<String>
    /// `aud` values of which a token must name one; empty accepts any.
    public var audiences: Set<String>

    public init(keyID: String, verifier: any JWTSignatureVerifier, issuers: Set<String> = [], audiences: Set<String> = []) {
        self.keyID = keyID
        self.verifier = verifier
        self.issuers = issuers
        self.audiences = audiences
    }

    func names(_ jwt: JWT) -> Bool { jwt.header["kid"]?.stringValue == keyID }

    /// The signing inputs (`header.claims`) of the tokens naming the test key
    /// in `texts` whose signature verifies. Judged on the request as it
    /// arrived: the mock redacts a live request like the recording before
    /// matching, and redaction replaces signatures (but keeps header and claims).
    public func verifiedInputs(in texts: [String]) -> Set<String> {
        var result: Set<String> = []
        for text in texts {
            for jwt in JWT.findAll(in: text) where names(jwt) && verifier.verify(jwt) == .valid {
                result.insert(jwt.signingInput)
            }
        }
        return result
    }

    public func verifiedInputs(in request: HTTPRequest) -> Set<String> {
        verifiedInputs(in: [request.target] + request.headers.map(\.value) + [request.body?.text].compactMap { $0 })
    }

    public func verifiedInputs(in message: WebSocketMessage) -> Set<String> {
        verifiedInputs(in: [message.payload.text].compactMap { $0 })
    }

    /// The class of a token naming the test key, judged at `moment`;
    /// `verified` holds the signing inputs whose signature verified.
    func judge(_ jwt: JWT, at moment: Double, verified: Set<String>) -> AuthClass {
        guard verified.contains(jwt.signingInput) else { return .invalidSignature }
        if AuthClassifier.isExpired(jwt, at: moment) { return .expired }
        if !issuers.isEmpty {
            guard let iss = jwt.claims["iss"]?.stringValue, issuers.contains(iss) else { return .unknown }
        }
        if !audiences.isEmpty, Self.audiences(of: jwt).isDisjoint(with: audiences) { return .unknown }
        return .issued
    }

    /// `aud` as a set (RFC 7519 §4.1.3: a string or an array of strings).
    static func audiences(of jwt: JWT) -> Set<String> {
        switch jwt.claims["aud"] {
        case .string(let one): [one]
        case .array(let many): Set(many.compactMap(\.stringValue))
        default: []
        }
    }

    /// The `iss` and `aud` values of the JWTs the recordings' responses
    /// issued: what the recorded service handed out is what it accepted.
    static func issuedClaims(in recordings: [Recording], locator: CredentialLocator) -> (issuers: Set<String>, audiences: Set<String>) {
        var issuers: Set<String> = []
        var audiences: Set<String> = []
        for recording in recordings {
            for session in recording.sessions {
                for response in session.exchanges.compactMap(\.response) {
                    for credential in locator.issued(in: response) {
                        guard let jwt = JWT(credential.value) else { continue }
                        if let iss = jwt.claims["iss"]?.stringValue { issuers.insert(iss) }
                        audiences.formUnion(Self.audiences(of: jwt))
                    }
                }
            }
        }
        return (issuers, audiences)
    }
}
