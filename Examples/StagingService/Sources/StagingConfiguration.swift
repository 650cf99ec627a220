public import Foundation

extension StagingService {
    /// What the service does when a WebSocket handshake carries no valid token.
    public enum AuthFailure: String, Sendable, CaseIterable {
        /// Refuse the upgrade with `401 Unauthorized` (what a careful service does).
        case httpUnauthorized = "http-401"
        /// Accept the upgrade, send an `AUTH_REQUIRED` error frame and close 1008
        /// (what the seed staging service does).
        case errorFrame = "error-frame"
    }

    /// A deliberate bug, switched on to show what a regression looks like in a replay diff.
    public enum Regression: String, Sendable, CaseIterable {
        /// Valid tokens fail too: building the user's execution context goes wrong
        /// and the WebSocket answers the `AUTH_REQUIRED` error frame.
        case userContext = "user-context"
    }

    /// A user that can log in.
    public struct User: Hashable, Sendable {
        public var username: String
        public var password: String
        public var email: String
        public var role: String
        public var name: String

        public init(username: String, password: String, email: String, role: String = "user", name: String) {
            self.username = username
            self.password = password
            self.email = email
            self.role = role
            self.name = name
        }

        public static let alice = User(
            username: "alice", password: "correct-horse-battery", email: "alice@example.com", role: "user", name: "Alice Example"
        )
    }

    public struct Configuration: Sendable {
        public static let defaultSecret = "staging-test-secret-0123456789abcdef"
        public static let defaultIssuer = "staging-auth"

        public var host: String
        /// 0 picks a free port (read it back from `StagingService.port`).
        public var port: Int
        /// The HS256 key; at least 32 bytes.
        public var secret: String
        public var authFailure: AuthFailure
        public var regression: Regression?
        /// Seconds from `iat` to `exp` of issued tokens.
        public var tokenLifetime: Int
        public var users: [User]
        public var issuer: String
        /// `details.environment` of error frames.
        public var environment: String
        /// Seconds since the epoch.
        public var clock: @Sendable () -> Double
        /// Receives one line per request and per WebSocket session (nil: silent).
        public var log: (@Sendable (String) -> Void)?

        public init(
            host: String = "127.0.0.1", port: Int = 0, secret: String = Configuration.defaultSecret,
            authFailure: AuthFailure = .errorFrame, regression: Regression? = nil, tokenLifetime: Int = 3600,
            users: [User] = [.alice], issuer: String = Configuration.defaultIssuer, environment: String = "staging",
            clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
            log: (@Sendable (String) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.secret = secret
            self.authFailure = authFailure
            self.regression = regression
            self.tokenLifetime = tokenLifetime
            self.users = users
            self.issuer = issuer
            self.environment = environment
            self.clock = clock
            self.log = log
        }
    }
}
