public import TrafficModel

/// Where the recording proxy forwards to: `https://staging.example.com`,
/// `http://127.0.0.1:8000`. Only a scheme, a host and a port: a path in the
/// URL is refused rather than silently ignored.
public struct UpstreamTarget: Hashable, Sendable, CustomStringConvertible {
    public enum Scheme: String, Hashable, Sendable {
        case http
        case https

        public var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int

    public init(scheme: Scheme, host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port ?? scheme.defaultPort
    }

    /// Parses `http(s)://HOST[:PORT][/]`; nil with a reason otherwise.
    public static func parse(_ text: String) -> Result<UpstreamTarget, CaptureError> {
        func invalid(_ why: String) -> Result<UpstreamTarget, CaptureError> {
            .failure(CaptureError(.invalidConfiguration, "upstream \(text): \(why) (expected http://HOST[:PORT] or https://HOST[:PORT])"))
        }
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return invalid("no scheme") }
        guard let scheme = Scheme(rawValue: parts[0].lowercased()) else { return invalid("the scheme must be http or https") }
        var rest = parts[1]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("@") else { return invalid("only a host and a port are allowed, no path, query or user") }
        var host = String(rest)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return invalid("unterminated IPv6 literal") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { return invalid("bad port") }
                port = p
            } else if !after.isEmpty {
                return invalid("unexpected text after the IPv6 literal")
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]) else { return invalid("bad port") }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { return invalid("no host") }
        if let port, !(1...65535).contains(port) { return invalid("the port must be 1…65535") }
        return .success(UpstreamTarget(scheme: scheme, host: host, port: port))
    }

    public var isTLS: Bool { scheme == .https }

    /// The Host field value for requests sent upstream (RFC 9110 §7.2): the
    /// port only when it is not the scheme's default.
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? h : "\(h):\(port)"
    }

    public var endpoint: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var description: String { "\(scheme.rawValue)://\(authority)" }

    /// The client's fields as sent, Host rewritten to the upstream's authority
    /// (added first when missing), and no permessage-deflate offer on an upgrade.
    public func forwardedFields(_ fields: [HeaderField], isUpgrade: Bool) -> [HeaderField] {
        var result: [HeaderField] = []
        var hostSeen = false
        for field in fields {
            switch field.name.lowercased() {
            case "host":
                if !hostSeen { result.append(HeaderField(field.name, authority)) }
                hostSeen = true
            case "sec-websocket-extensions" where isUpgrade:
                continue
            default:
                result.append(field)
            }
        }
        if !hostSeen { result.insert(HeaderField("Host", authority), at: 0) }
        return result
    }
}
