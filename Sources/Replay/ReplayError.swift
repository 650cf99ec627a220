import TrafficModel

/// Why a replay could not start: what was wrong, and what to do.
public struct ReplayError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Equatable, Sendable {
        case invalidTarget = "invalid target"
        case unknownSession = "unknown session"
        case invalidKey = "invalid re-signing key"
        case invalidOption = "invalid option"
        case tlsConfiguration = "TLS configuration"
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

/// The server to replay against: `http://HOST:PORT`, or `https://HOST:PORT`
/// for TLS (WebSocket sessions then upgrade over TLS, as `wss://`).
public struct ReplayTarget: Hashable, Sendable {
    public var host: String
    public var port: Int
    /// Connections speak TLS (an `https://` or `wss://` target).
    public var tls: Bool

    public init(host: String, port: Int, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// Parses `http://HOST[:PORT]` (port 80 by default) or `https://HOST[:PORT]`
    /// (TLS, port 443 by default); `ws://` and `wss://` are taken as their
    /// HTTP equivalents. A path is not allowed: the recorded targets are sent
    /// as they were.
    public init(url: String) throws(ReplayError) {
        let schemes: [(prefix: String, tls: Bool)] = [("http://", false), ("https://", true), ("ws://", false), ("wss://", true)]
        guard let scheme = schemes.first(where: { url.lowercased().hasPrefix($0.prefix) }) else {
            throw ReplayError(.invalidTarget, "\"\(url)\" is not an http://HOST:PORT or https://HOST:PORT URL")
        }
        var rest = url.dropFirst(scheme.prefix.count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let shown = "\(scheme.tls ? "https" : "http")://HOST:PORT"
        guard !rest.contains("/") else {
            throw ReplayError(.invalidTarget, "\"\(url)\" has a path; give only \(shown) (recorded paths are sent as recorded)")
        }
        if let endpoint = Endpoint(parsing: String(rest)) {
            self.init(host: endpoint.host, port: Int(endpoint.port), tls: scheme.tls)
        } else if !rest.isEmpty, !rest.contains(":") {
            self.init(host: String(rest), port: scheme.tls ? 443 : 80, tls: scheme.tls)
        } else {
            throw ReplayError(.invalidTarget, "\"\(url)\" has no valid host and port")
        }
    }

    /// The Host header value for the target (RFC 9110 §7.2).
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// `http://host:port` or `https://host:port`, for messages.
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "https" : "http")://\(h):\(port)"
    }
}
