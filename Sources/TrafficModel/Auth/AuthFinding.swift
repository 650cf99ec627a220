/// A credential seen in a session: where it was, what kind, and for a JWT
/// what it says and how its times relate to the moment it was used.
public struct AuthFinding: Hashable, Sendable {
    public enum Role: String, Hashable, Sendable, CaseIterable {
        /// Sent by the client to authenticate.
        case presented
        /// Handed out by the server (a login answer, a Set-Cookie).
        case issued
    }

    public enum Scheme: String, Hashable, Sendable, CaseIterable {
        /// `Authorization: Bearer <token>` (scheme case-insensitive).
        case bearer
        /// `Authorization: Basic <base64(user:password)>`.
        case basic
        /// A JWT with no scheme: bare in Authorization, in a query parameter,
        /// in Sec-WebSocket-Protocol, a cookie or a body.
        case jwt
        /// An opaque token in a query parameter or body.
        case token
        /// A cookie value that is not a JWT.
        case cookie
        /// Any other Authorization scheme (Digest, NTLM, custom).
        case other
    }

    public var role: Role
    /// Index of the exchange in the session that carried it.
    public var exchange: Int
    /// `header:Authorization`, `query:token`, `header:Sec-WebSocket-Protocol`,
    /// `cookie:NAME`, `set-cookie:NAME`, `body:$.access_token`.
    public var location: String
    public var scheme: Scheme
    /// The Authorization scheme's name as sent, for `.other` (e.g. `Digest`).
    public var schemeName: String?
    /// Basic auth: the user name (never the password).
    public var user: String?
    public var jwt: JWTInfo?
    /// For a presented credential first issued earlier in this recording.
    public var issuedBy: IssuedReference?

    public init(
        role: Role, exchange: Int, location: String, scheme: Scheme, schemeName: String? = nil,
        user: String? = nil, jwt: JWTInfo? = nil, issuedBy: IssuedReference? = nil
    ) {
        self.role = role
        self.exchange = exchange
        self.location = location
        self.scheme = scheme
        self.schemeName = schemeName
        self.user = user
        self.jwt = jwt
        self.issuedBy = issuedBy
    }
}

/// Points at the issued finding a presented credential came from.
public struct IssuedReference: Hashable, Sendable {
    public var session: String
    public var exchange: Int
    public var location: String

    public init(session: String, exchange: Int, location: String) {
        self.session = session
        self.exchange = exchange
        self.location = location
    }
}

/// A decoded JWT (RFC 7519), judged at the moment it was used.
public struct JWTInfo: Hashable, Sendable {
    public enum Signature: String, Hashable, Sendable, CaseIterable {
        /// No key was given, so nothing was checked.
        case unverified
        case valid
        case invalid
        /// The signature was replaced by redaction.
        case redacted
    }

    public var header: JSONValue
    public var claims: JSONValue
    /// `exp` minus the moment of use, in seconds; negative when already expired.
    public var expiresIn: Double?
    /// The moment of use minus `iat`, in seconds.
    public var issuedAgo: Double?
    /// `nbf` minus the moment of use, in seconds; positive when not yet valid.
    public var notBeforeIn: Double?
    public var signature: Signature
    /// What a key said of the original signature before redaction replaced
    /// it (`valid` or `invalid`); nil when nothing was checked.
    public var verifiedBeforeRedaction: Signature?

    public init(
        header: JSONValue, claims: JSONValue, expiresIn: Double?, issuedAgo: Double?, notBeforeIn: Double?, signature: Signature,
        verifiedBeforeRedaction: Signature? = nil
    ) {
        self.header = header
        self.claims = claims
        self.expiresIn = expiresIn
        self.issuedAgo = issuedAgo
        self.notBeforeIn = notBeforeIn
        self.signature = signature
        self.verifiedBeforeRedaction = verifiedBeforeRedaction
    }

    public var algorithm: String? { header["alg"]?.stringValue }
    public var subject: String? { claims["sub"]?.stringValue }
}
