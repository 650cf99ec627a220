import TrafficModel

extension PageWriter {
    /// Every credential of the session: where, what, the JWT's header and
    /// claims, its expiry relative to the moment of use, and its class as the
    /// mock would judge it at the recorded time (issued / expired /
    /// invalid-signature / unknown).
    mutating func auth(_ s: Session, anchor: String) {
        guard !s.auth.isEmpty else { return }
        out += "<h3>Auth findings</h3>\n<table class=\"auth\"><tr><th>exchange</th><th>role</th><th>where</th><th>credential</th><th>class</th><th>expiry at use</th><th>JWT header</th><th>JWT claims</th></tr>\n"
        for finding in s.auth {
            let jwt = finding.jwt
            let exchange = "<a href=\"#\(anchor)-x\(finding.exchange)-\(finding.role == .issued ? "res" : "req")\">\(finding.exchange + 1)</a>"
            let standing = Self.authClass(finding)
            let expiry = jwt?.expiresIn.map { $0 < 0 ? "expired \(Timeline.relative(-$0)) before use" : "expires \(Timeline.relative($0)) after use" } ?? "&mdash;"
            let header = jwt.map { "<code>\(e(JSONWriter.compact($0.header)))</code>" } ?? "&mdash;"
            let claims = jwt.map { "<pre class=\"claims\">\(e(JSONWriter.pretty($0.claims)))</pre>" } ?? "&mdash;"
            out += "<tr><td>\(exchange)</td><td>\(e(finding.role.rawValue))</td><td><code>\(e(finding.location))</code></td>"
            out += "<td>\(e(Timeline.describe(finding)))</td><td><span class=\"badge \(standing.style)\">\(e(standing.name))</span></td>"
            out += "<td>\(expiry.hasPrefix("&") ? expiry : e(expiry))</td><td>\(header)</td><td>\(claims)</td></tr>\n"
        }
        out += "</table>\n"
    }

    /// The finding's auth class at its recorded moment of use.
    static func authClass(_ finding: AuthFinding) -> (name: String, style: String) {
        if finding.role == .issued { return ("issued here", "ok") }
        if finding.issuedBy != nil { return ("issued", "ok") }
        if let jwt = finding.jwt {
            if let exp = jwt.expiresIn, exp < 0 { return ("expired", "bad") }
            if let nbf = jwt.notBeforeIn, nbf > 0 { return ("not yet valid", "bad") }
            if jwt.signature == .invalid || jwt.verifiedBeforeRedaction == .invalid { return ("invalid-signature", "bad") }
        }
        return ("unknown", "muted")
    }
}
