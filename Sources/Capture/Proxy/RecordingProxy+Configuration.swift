public import ConnectionGuards
public import TrafficModel

extension RecordingProxy {
    public struct Configuration: Sendable {
        /// Address the proxy listens on for clients.
        public var listenHost: String
        /// 0 picks a free port (see `RecordingProxy.port`).
        public var listenPort: Int
        public var upstream: UpstreamTarget
        public var upstreamTLS: UpstreamTLS
        /// Certificate and key to speak TLS to clients; nil: plain HTTP/WS.
        public var clientTLS: ClientTLS?
        /// Seconds allowed for the TCP connect to the upstream.
        public var connectTimeout: Double
        /// Client connections served at once; more are closed as they arrive (and logged).
        public var maxConnections: Int
        /// A client connection with no reads or writes for this many seconds is closed.
        public var idleTimeout: Double
        /// A request head must arrive in full within this many seconds of its
        /// first byte (slowloris); the connection is closed otherwise.
        public var headTimeout: Double
        /// The most bytes the open sessions keep in memory (finished sessions
        /// go to the output as they end); beyond it, sessions keep being
        /// forwarded but record no more bytes, with an anomaly.
        public var recordingBudget: Int
        public static let defaultRecordingBudget = 256 << 20
        /// The tool and version written into the recording's source.
        public var tool: String
        /// One line per exchange and per session.
        public var log: (@Sendable (String) -> Void)?
        /// Judges JWT signatures in the findings (`--jwt-secret`, `--jwt-key`).
        public var verifier: (any JWTSignatureVerifier)?
        /// Where credentials are (the rules file can name cookies).
        public var locator: CredentialLocator = .default

        public init(
            listenHost: String = "127.0.0.1", listenPort: Int = 9000, upstream: UpstreamTarget,
            upstreamTLS: UpstreamTLS = UpstreamTLS(), clientTLS: ClientTLS? = nil, connectTimeout: Double = 10,
            maxConnections: Int = 1024, idleTimeout: Double = 300, headTimeout: Double = 10,
            recordingBudget: Int = Configuration.defaultRecordingBudget, tool: String = "authreplay", log: (@Sendable (String) -> Void)? = nil,
            verifier: (any JWTSignatureVerifier)? = nil
        ) {
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.upstream = upstream
            self.upstreamTLS = upstreamTLS
            self.clientTLS = clientTLS
            self.connectTimeout = connectTimeout
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.headTimeout = headTimeout
            self.recordingBudget = recordingBudget
            self.tool = tool
            self.log = log
            self.verifier = verifier
        }
    }

    /// How the upstream's certificate is checked: the system trust store,
    /// plus `caFile` (PEM) when given; `insecure` turns verification off and
    /// is never the default.
    public struct UpstreamTLS: Hashable, Sendable {
        public var caFile: String?
        public var insecure: Bool

        public init(caFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.insecure = insecure
        }
    }

    /// The proxy's own certificate chain and key (PEM files) for TLS to
    /// clients: the same files, loaded the same way, as the mock's.
    public typealias ClientTLS = ServerTLSFiles
}
