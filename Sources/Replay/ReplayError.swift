import TrafficModel

/// Why a replay could not start: what was wrong, and what to do.
public struct ReplayError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Equatable, Sendable {
        case invalidTarget = "invalid target"
        case unknownSession = "unknown session"
        case invalidKey = "invalid re-signing key"
        case invalidOption = "invalid option"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (a: ReplayError, b: ReplayError) -> Bool { a.code == b.code }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// The server to replay against: `http://HOST:PORT`.
public struct ReplayTarget: Hashable, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://HOST[:PORT]` (port 80 by default; a path is not allowed,
    /// the recorded targets are sent as they were).
    public init(url: String) throws(ReplayError) {
        guard url.hasPrefix("http://") else {
            let hint = url.hasPrefix("https://") ? " (TLS targets are not supported yet)" : ""
            throw ReplayError(.invalidTarget, "\"\(url)\" is not an http://HOST:PORT URL\(hint)")
        }
        var rest = url.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else {
            throw ReplayError(.invalidTarget, "\"\(url)\" has a path; give only http://HOST:PORT (recorded paths are sent as recorded)")
        }
        if let endpoint = Endpoint(parsing: String(rest)) {
            self.init(host: endpoint.host, port: Int(endpoint.port))
        } else if !rest.isEmpty, !rest.contains(":") {
            self.init(host: String(rest), port: 80)
        } else {
            throw ReplayError(.invalidTarget, "\"\(url)\" has no valid host and port")
        }
    }

    /// The Host header value for the target (RFC 9110 §7.2).
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? h : "\(h):\(port)"
    }
}
