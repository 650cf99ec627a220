public import TrafficModel

/// Replay's one error: why a replay could not start (a bad target, session,
/// key, option or TLS setup — what was wrong, and what to do), or why a TLS
/// handshake with the target did not finish.
///
/// A `CodedError`: like swift-asn1's `ASN1Error`, equal (and hashable) on the
/// `code` only; the location (a session id, a file) and the reason are for
/// people.
public struct ReplayError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }

    /// `invalid target: "…" has no valid host and port`; a handshake failure is its reason alone.
    public var description: String { code.label.map { "\($0): \(reason)" } ?? reason }

    static func tlsHandshakeTimeout(seconds: Double) -> ReplayError {
        ReplayError(.tlsHandshakeTimeout, "TLS handshake timed out after \(formatFixed(seconds, decimals: 1)) s")
    }

    static let tlsClosedDuringHandshake = ReplayError(
        .tlsClosedDuringHandshake, "TLS handshake failed: the target closed the connection during the handshake")
}

extension ReplayError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case invalidTarget
            case unknownSession
            case invalidKey
            case invalidOption
            case tlsConfiguration
            case tlsHandshakeTimeout
            case tlsClosedDuringHandshake
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The target is not an `http://HOST:PORT` or `https://HOST:PORT` URL.
        public static let invalidTarget = Code(.invalidTarget)
        /// A session asked for is not in the recordings.
        public static let unknownSession = Code(.unknownSession)
        /// The re-signing key is not usable.
        public static let invalidKey = Code(.invalidKey)
        /// An option's value is not usable.
        public static let invalidOption = Code(.invalidOption)
        /// A CA file or the TLS setup is not usable.
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// The TLS handshake did not finish in time (a server that accepts the
        /// TCP connection but never answers the ClientHello).
        public static let tlsHandshakeTimeout = Code(.tlsHandshakeTimeout)
        /// The TCP connection ended before the TLS handshake finished.
        public static let tlsClosedDuringHandshake = Code(.tlsClosedDuringHandshake)

        public var description: String { String(describing: base) }

        /// The words that start the error's description; nil where the reason says it all.
        fileprivate var label: String? {
            switch base {
            case .invalidTarget: "invalid target"
            case .unknownSession: "unknown session"
            case .invalidKey: "invalid re-signing key"
            case .invalidOption: "invalid option"
            case .tlsConfiguration: "TLS configuration"
            case .tlsHandshakeTimeout, .tlsClosedDuringHandshake: nil
            }
        }
    }
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
