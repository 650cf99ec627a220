public import TrafficModel
public import ConnectionGuards

extension MockStagingServer {
    /// How the mock serves, and its limits.
    public struct Configuration: Sendable {
        /// The address to listen on. The mock only listens; it never opens outbound connections.
        public var host: String
        /// 0 picks a free port (read it back from `MockStagingServer.port`).
        public var port: Int
        public var pacing: Pacing
        public var mismatchPolicy: MismatchPolicy
        /// Compare client messages and request bodies byte for byte instead of JSON-aware.
        public var exactPayloads: Bool
        /// The moment JWT `exp`/`nbf` are judged at (`.recorded` by default: tokens never expire on replay).
        public var clock: ExchangeMatcher.Options.Clock
        /// Repeat the last exchange of an exhausted match key, or answer it as unmatched.
        public var exhaustion: ExchangeMatcher.Options.Exhaustion
        /// The status of the answer to an unmatched request.
        public var unmatchedStatus: Int
        /// Checks JWT signatures; with one, tampered tokens are `invalid-signature` instead of `unknown`.
        public var verifier: (any JWTSignatureVerifier)?
        /// The rules a redacted recording was redacted with; live requests are redacted the same way.
        public var redactionRules: RedactionRules
        /// Largest request body and largest WebSocket message (frame or reassembled) accepted, in bytes.
        /// A larger request body is answered 413 and the connection closed; a larger WebSocket
        /// message closes the session with 1009.
        public var maxMessageSize: Int
        /// Connections beyond this many open at once are closed as soon as they are accepted.
        public var maxConnections: Int
        /// A connection with no reads or writes for this many seconds is closed
        /// (without a close frame). Recorded pacing gaps count as idle time.
        public var idleTimeout: Double
        /// A request head must arrive in full within this many seconds of its
        /// first byte (slowloris); the connection is closed otherwise.
        public var headTimeout: Double
        /// Receives one line per request and per WebSocket session (nil: silent).
        public var log: (@Sendable (String) -> Void)?
        /// The wall clock, in seconds since the epoch: `clock == .now`, and the
        /// times of the tokens a test key signs.
        public var wallClock: @Sendable () -> Double
        /// Misbehaviours on cue (`--fault`), for client resilience tests.
        public var faults = FaultPlan()
        /// `--sign-key` / `--sign-secret`: every JWT handed out is re-signed with the test key,
        /// discovery and JWKS documents name it, and tokens naming it are judged by it.
        public var signing: TestKeySigning?
        /// `--tls-cert` / `--tls-key`: serve https and wss.
        public var tls: ServerTLSFiles?

        public init(
            host: String = "127.0.0.1", port: Int = 0, pacing: Pacing = .fast, mismatchPolicy: MismatchPolicy = .strict,
            exactPayloads: Bool = false, clock: ExchangeMatcher.Options.Clock = .recorded,
            exhaustion: ExchangeMatcher.Options.Exhaustion = .repeatLast, unmatchedStatus: Int = 404,
            verifier: (any JWTSignatureVerifier)? = nil, redactionRules: RedactionRules = .default, maxMessageSize: Int = 1 << 20, maxConnections: Int = 1024,
            idleTimeout: Double = 60, headTimeout: Double = 10, log: (@Sendable (String) -> Void)? = nil,
            wallClock: @escaping @Sendable () -> Double = Timestamp.wallClock,
            signing: TestKeySigning? = nil, tls: ServerTLSFiles? = nil
        ) {
            self.host = host
            self.port = port
            self.pacing = pacing
            self.mismatchPolicy = mismatchPolicy
            self.exactPayloads = exactPayloads
            self.clock = clock
            self.exhaustion = exhaustion
            self.unmatchedStatus = unmatchedStatus
            self.verifier = verifier
            self.redactionRules = redactionRules
            self.maxMessageSize = maxMessageSize
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.headTimeout = headTimeout
            self.log = log
            self.wallClock = wallClock
            self.signing = signing
            self.tls = tls
        }

        var settings: MockReplay.Settings {
            MockReplay.Settings(pacing: pacing, mismatchPolicy: mismatchPolicy, exactPayloads: exactPayloads, unmatchedStatus: unmatchedStatus, faults: faults)
        }

        var matcherOptions: ExchangeMatcher.Options {
            ExchangeMatcher.Options(exhaustion: exhaustion, clock: clock, exactPayloads: exactPayloads)
        }
    }
}
