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
        // Split at the dots by UTF-8 bytes, not Characters (import and
        // redaction decode every credential): any non-ASCII byte is outside
        // base64's alphabet, so such a token fails either way, and in ASCII
        // only "\r\n" is a Character of two bytes, which fails the same.
        let utf8 = token.utf8
        var first: String.Index?
        var second: String.Index?
        for i in utf8.indices {
            let b = utf8[i]
            if b >= 0x80 { return nil }
            guard b == UInt8(ascii: ".") else { continue }
            if first == nil { first = i } else if second == nil { second = i } else { return nil }
        }
        guard let first, let second else { return nil }
        let encodedHeader = token[utf8.startIndex..<first]
        let encodedClaims = token[utf8.index(after: first)..<second]
        let encodedSignature = token[utf8.index(after: second)..<utf8.endIndex]
        guard encodedHeader.utf8.count >= 4, encodedClaims.utf8.count >= 2 else { return nil }
        guard let headerBytes = Base64.decode(encodedHeader), let claimBytes = Base64.decode(encodedClaims) else { return nil }
        // An empty signature is an unsecured JWT (alg "none"); otherwise base64url.
        guard encodedSignature.isEmpty || Base64.decode(encodedSignature) != nil else { return nil }
        guard let header = try? JSONParser.parse(headerBytes), case .object = header, header["alg"]?.stringValue != nil,
              let claims = try? JSONParser.parse(claimBytes), case .object = claims
        else { return nil }
        self.header = header
        self.claims = claims
        self.encodedHeader = String(encodedHeader)
        self.encodedClaims = String(encodedClaims)
        self.encodedSignature = String(encodedSignature)
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
    /// `authorization.bearer.<JWT>` in Sec-WebSocket-Protocol. Scans UTF-8
    /// bytes: it runs over every payload a recording holds.
    public static func findAll(in text: String) -> [JWT] {
        var text = text
        return text.withUTF8 { findAll(in: $0) }
    }

    /// - Parameter skippingRedacted: leave out, without decoding them,
    ///   tokens whose signature part starts with the redaction prefix
    ///   (`Pseudonymizer.signaturePrefix`); redaction would keep them as they
    ///   are unless it pseudonymizes claims. Skipping such a candidate is
    ///   exact even when it is not a JWT: its claims part cannot start
    ///   another one (the part after it decodes to `D@…`, not a JSON object),
    ///   and its signature part does not start with `eyJ`.
    static func findAll(in text: String, skippingRedacted: Bool) -> [JWT] {
        var text = text
        return text.withUTF8 { findAll(in: $0, skippingRedacted: skippingRedacted) }
    }

    static func findAll(in bytes: UnsafeBufferPointer<UInt8>, skippingRedacted: Bool = false) -> [JWT] {
        var found: [JWT] = []
        var runStart = -1
        var runHasCandidate = false
        func flush(_ end: Int) {
            defer {
                runStart = -1
                runHasCandidate = false
            }
            guard runStart >= 0, runHasCandidate else { return }
            var parts: [Range<Int>] = []
            var partStart = runStart
            for k in runStart..<end where bytes[k] == UInt8(ascii: ".") {
                parts.append(partStart..<k)
                partStart = k + 1
            }
            parts.append(partStart..<end)
            var p = 0
            while p + 2 < parts.count {
                let first = parts[p]
                let mayStart = first.count >= 3 && bytes[first.lowerBound] == UInt8(ascii: "e") && bytes[first.lowerBound + 1] == UInt8(ascii: "y")
                    && bytes[first.lowerBound + 2] == UInt8(ascii: "J")
                if mayStart && skippingRedacted && hasRedactedPrefix(parts[p + 2]) {
                    p += 3
                } else if mayStart,
                   let jwt = JWT(String(decoding: UnsafeBufferPointer(rebasing: bytes[first.lowerBound..<parts[p + 2].upperBound]), as: UTF8.self)) {
                    found.append(jwt)
                    p += 3
                } else {
                    p += 1
                }
            }
        }
        func hasRedactedPrefix(_ part: Range<Int>) -> Bool {
            let prefix = Pseudonymizer.signaturePrefix.utf8
            return part.count >= prefix.count && zip(bytes[part], prefix).allSatisfy { $0 == $1 }
        }
        for k in 0..<bytes.count {
            let b = bytes[k]
            let isTokenByte = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
            if isTokenByte {
                if runStart < 0 { runStart = k }
                // "eyJ" is how every JWT header ({"…) starts in base64url.
                if b == UInt8(ascii: "J"), k >= 2, bytes[k - 1] == UInt8(ascii: "y"), bytes[k - 2] == UInt8(ascii: "e"), k - 2 >= runStart {
                    runHasCandidate = true
                }
            } else {
                flush(k)
            }
        }
        flush(bytes.count)
        return found
    }
}
