public import TrafficModel

/// How a request authenticates, as far as matching cares. A recorded request
/// and a live one with the same class are interchangeable unless one of them
/// carries the exact recorded credential.
public enum AuthClass: String, Hashable, Sendable, CaseIterable {
    /// No credential at all.
    case absent
    /// A credential the server handed out earlier (in the recording for a
    /// recorded request; in this run of the mock for a live one).
    case issued
    /// A credential nobody issued here: made up, tampered with, or from elsewhere.
    case unknown
    /// A JWT whose signature fails verification (only with a verifier configured).
    case invalidSignature = "invalid-signature"
    /// A JWT past its `exp` (or before its `nbf`) at the moment it is judged.
    case expired

    /// Whether a live request of this class may take the place of a recorded
    /// one of class `recorded` when no recorded request has exactly this
    /// class: a signature only the mock can check (its test key's) failed,
    /// and the recording, whose signatures are redacted, calls such a token
    /// `unknown`.
    public func standsIn(for recorded: AuthClass) -> Bool {
        self == recorded || (self == .invalidSignature && recorded == .unknown)
    }
}

/// The credentials a request presents, found once and judged per moment.
public struct PresentedAuth: Hashable, Sendable {
    public let credentials: [CredentialLocator.Credential]
    /// Each credential parsed as a JWT once (nil: not one), for every judgement after.
    public let tokens: [JWT?]
    public let values: Set<String>
    /// The `sub` claim of the first JWT presented, if any.
    public let subject: String?

    public init(credentials: [CredentialLocator.Credential]) {
        self.credentials = credentials
        tokens = credentials.map { JWT($0.value) }
        values = Set(credentials.map(\.value))
        subject = tokens.lazy.compactMap { $0?.claims["sub"]?.stringValue }.first
    }

    /// Where the credentials were (`header:Authorization`, `query:token`).
    public var locations: [String] { credentials.map(\.location) }
}

/// Classifies the credentials of a request. Pure: the issued set and the
/// moment of judgement are passed in.
public struct AuthClassifier: Sendable {
    public var locator: CredentialLocator
    /// Checks JWT signatures; without one, no credential is `invalidSignature`.
    public var verifier: (any JWTSignatureVerifier)?
    /// The mock's test key (`serve --sign-key`): tokens naming it are judged by it.
    public var authority: TokenAuthority?

    public init(locator: CredentialLocator = .default, verifier: (any JWTSignatureVerifier)? = nil, authority: TokenAuthority? = nil) {
        self.locator = locator
        self.verifier = verifier
        self.authority = authority
    }

    public func presented(in request: HTTPRequest) -> PresentedAuth {
        PresentedAuth(credentials: locator.presented(in: request))
    }

    /// The class of `auth` judged at `moment` (seconds since the epoch).
    /// With several credentials the most telling one wins: an issued one,
    /// else an expired one, else one with a bad signature, else unknown.
    /// A token the test key signed was minted in real time, so its times are
    /// judged at `now` when given (the wall clock), not at the recorded moment,
    /// and its signature by `verified` (`TokenAuthority.verifiedInputs`).
    public func classify(_ auth: PresentedAuth, issued: Set<String>, at moment: Double, now: Double? = nil, verified: Set<String> = []) -> AuthClass {
        guard !auth.credentials.isEmpty else { return .absent }
        let classes = zip(auth.credentials, auth.tokens).map {
            classify($0.value, jwt: $1, issued: issued, at: moment, now: now, verified: verified)
        }
        for candidate in [AuthClass.issued, .expired, .invalidSignature] where classes.contains(candidate) {
            return candidate
        }
        return .unknown
    }

    private func classify(_ value: String, jwt: JWT?, issued: Set<String>, at moment: Double, now: Double?, verified: Set<String>) -> AuthClass {
        if let jwt {
            if let authority, authority.names(jwt) {
                return authority.judge(jwt, at: now ?? moment, verified: verified)
            }
            if let verifier, verifier.verify(jwt) == .invalid { return .invalidSignature }
            if Self.isExpired(jwt, at: moment) { return .expired }
        }
        return issued.contains(value) ? .issued : .unknown
    }

    /// Past `exp`, or before `nbf` (RFC 7519 §4.1.4-5), at `moment`.
    static func isExpired(_ jwt: JWT, at moment: Double) -> Bool {
        if let exp = jwt.numericDate("exp"), exp <= moment { return true }
        if let nbf = jwt.numericDate("nbf"), nbf > moment { return true }
        return false
    }
}
