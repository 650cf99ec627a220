/// A compact-serialized JWS/JWT (RFC 7515 §7.1, RFC 7519): three base64url
/// parts, the first two JSON objects.
public struct JWT: Hashable, Sendable {
    public var header: JSONValue
    public var claims: JSONValue
    /// The encoded parts as sent; the signature covers `parts[0] + "." + parts[1]`.
    public var encodedHeader: String
    public var encodedClaims: String
    public var encodedSignature: String

    /// Parses `token` as a JWT, or nil when it is not one. Strict: both JSON
    /// parts must be objects and the header must name an algorithm.
    public init?(_ token: some StringProtocol) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 4, parts[1].count >= 2 else { return nil }
        guard let headerBytes = Base64.decode(parts[0]), let claimBytes = Base64.decode(parts[1]) else { return nil }
        // An empty signature is an unsecured JWT (alg "none"); otherwise base64url.
        guard parts[2].isEmpty || Base64.decode(parts[2]) != nil else { return nil }
        guard let header = try? JSONParser.parse(headerBytes), case .object = header, header["alg"]?.stringValue != nil,
              let claims = try? JSONParser.parse(claimBytes), case .object = claims
        else { return nil }
        self.header = header
        self.claims = claims
        self.encodedHeader = String(parts[0])
        self.encodedClaims = String(parts[1])
        self.encodedSignature = String(parts[2])
    }

    public var compact: String { "\(encodedHeader).\(encodedClaims).\(encodedSignature)" }
    public var signingInput: String { "\(encodedHeader).\(encodedClaims)" }
    public var algorithm: String? { header["alg"]?.stringValue }

    /// A NumericDate claim (RFC 7519 §2) as seconds since the epoch.
    public func numericDate(_ claim: String) -> Double? { claims[claim]?.doubleValue }

    /// Decodes the token judged at `moment` (seconds since the epoch).
    public func info(at moment: Double, signature: JWTInfo.Signature = .unverified) -> JWTInfo {
        func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
        return JWTInfo(
            header: header,
            claims: claims,
            expiresIn: numericDate("exp").map { rounded($0 - moment) },
            issuedAgo: numericDate("iat").map { rounded(moment - $0) },
            notBeforeIn: numericDate("nbf").map { rounded($0 - moment) },
            signature: signature
        )
    }

    /// Finds JWT-shaped tokens inside arbitrary text (a header, a query, a
    /// body), including ones glued behind a prefix such as
    /// `authorization.bearer.<JWT>` in Sec-WebSocket-Protocol.
    public static func findAll(in text: String) -> [JWT] {
        var found: [JWT] = []
        var run = ""
        func flush() {
            let parts = run.split(separator: ".", omittingEmptySubsequences: false)
            var i = 0
            while i + 2 < parts.count {
                if parts[i].hasPrefix("eyJ"), let jwt = JWT("\(parts[i]).\(parts[i + 1]).\(parts[i + 2])") {
                    found.append(jwt)
                    i += 3
                } else {
                    i += 1
                }
            }
            run = ""
        }
        for ch in text {
            if ch.isASCII, ch.isLetter || ch.isNumber || ch == "-" || ch == "_" || ch == "." {
                run.append(ch)
            } else {
                flush()
            }
        }
        flush()
        return found
    }
}
