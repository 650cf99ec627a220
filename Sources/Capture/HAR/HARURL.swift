/// The parts of an absolute request URL a recording needs: where it went and
/// the request-target as sent (RFC 9112 §3.2.1, origin-form).
struct HARURL: Equatable {
    var scheme: String
    var host: String
    var port: UInt16
    /// Path and query; the fragment is never sent.
    var target: String
    /// `host` or `host:port` when the port is not the scheme's default.
    var authority: String

    init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon].lowercased()
        let defaultPort: UInt16
        switch scheme {
        case "http", "ws": defaultPort = 80
        case "https", "wss": defaultPort = 443
        default: return nil
        }
        var rest = text[text.index(after: colon)...]
        guard rest.hasPrefix("//") else { return nil }
        rest = rest.dropFirst(2)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        var port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") && after.count > 1 {
                guard let p = UInt16(after.dropFirst()) else { return nil }
                port = p
            } else if !after.isEmpty && after != ":" {
                return nil
            }
        } else if let c = authority.lastIndex(of: ":") {
            host = authority[..<c]
            let p = authority[authority.index(after: c)...]
            if !p.isEmpty {
                guard let value = UInt16(p) else { return nil }
                port = value
            }
        }
        guard !host.isEmpty else { return nil }
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if !target.hasPrefix("/") { target = "/" + target }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.target = target
        let hostText = host.contains(":") ? "[\(host)]" : String(host)
        self.authority = port == defaultPort ? hostText : "\(hostText):\(port)"
    }
}
