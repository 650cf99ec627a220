public import TrafficModel

/// An HTTP answer of the service.
public struct StagingResponse: Hashable, Sendable {
    public var status: Int
    public var reason: String
    public var headers: [HeaderField]
    public var body: [UInt8]
    /// Close the connection after this response.
    public var close: Bool

    public static func json(_ status: Int, _ reason: String, _ value: JSONValue, headers: [HeaderField] = [], close: Bool = false) -> StagingResponse {
        StagingResponse(
            status: status, reason: reason,
            headers: [HeaderField("Content-Type", "application/json")] + headers,
            body: Array(JSONWriter.compact(value).utf8), close: close
        )
    }
}

/// What to do with a WebSocket handshake.
public enum WebSocketAdmission: Hashable, Sendable {
    /// Upgrade and start the agent conversation for `userID`.
    case accept(userID: String, subprotocol: String?)
    /// Upgrade, then send the `AUTH_REQUIRED` error frame with `error` and close 1008.
    case fail(error: String, subprotocol: String?)
    /// Do not upgrade; answer this instead.
    case refuse(StagingResponse)
}

/// The service's behaviour, without I/O: requests and the moment in, answers out.
public struct StagingAPI: Sendable {
    public static let userContextError = "user_context must be a UserExecutionContext instance"

    public let configuration: StagingService.Configuration

    public init(configuration: StagingService.Configuration) {
        self.configuration = configuration
    }

    /// Answers a plain HTTP request (one that is not upgraded).
    public func respond(to request: HTTPRequest, now: Double) -> StagingResponse {
        switch (request.method, request.path) {
        case ("GET", "/health"):
            return .json(200, "OK", .object([("status", .string("ok")), ("environment", .string(configuration.environment))]))
        case ("POST", "/auth/token"):
            return login(request, now: now)
        case ("GET", "/api/me"):
            return profile(request, now: now)
        case ("GET", "/ws"):
            switch admitWebSocket(request, now: now) {
            case .refuse(let response): return response
            case .accept, .fail:
                return .json(426, "Upgrade Required", .object([("error", .string("upgrade_required"))]),
                             headers: [HeaderField("Upgrade", "websocket")])
            }
        case (_, "/health"), (_, "/api/me"), (_, "/ws"):
            return .json(405, "Method Not Allowed", .object([("error", .string("method_not_allowed"))]), headers: [HeaderField("Allow", "GET")])
        case (_, "/auth/token"):
            return .json(405, "Method Not Allowed", .object([("error", .string("method_not_allowed"))]), headers: [HeaderField("Allow", "POST")])
        default:
            return .json(404, "Not Found", .object([("error", .string("not_found")), ("path", .string(request.path))]))
        }
    }

    /// Decides a WebSocket handshake on `/ws`.
    public func admitWebSocket(_ request: HTTPRequest, now: Double) -> WebSocketAdmission {
        let (token, subprotocol) = Self.webSocketToken(request)
        switch verify(token, now: now) {
        case .success(let identity):
            if configuration.regression == .userContext {
                return .fail(error: Self.userContextError, subprotocol: subprotocol)
            }
            return .accept(userID: identity.subject, subprotocol: subprotocol)
        case .failure(let rejection):
            switch configuration.authFailure {
            case .errorFrame: return .fail(error: rejection.description, subprotocol: subprotocol)
            case .httpUnauthorized: return .refuse(unauthorized(rejection, close: true))
            }
        }
    }

    /// The error frame sent before closing 1008.
    public func authRequiredFrame(error: String, now: Double) -> JSONValue {
        .object([
            ("type", .string("error_message")),
            ("error_code", .string("AUTH_REQUIRED")),
            ("error_message", .string("Authentication failed: Valid JWT token required for WebSocket connection")),
            ("details", .object([("environment", .string(configuration.environment)), ("error", .string(error))])),
            ("timestamp", .fixed(now, decimals: 3)),
            ("recovery_suggestions", .null),
        ])
    }

    /// The token of a handshake, from (in this order) `Authorization: Bearer`,
    /// `?token=`, or `Sec-WebSocket-Protocol: jwt, <token>`; and the subprotocol
    /// to select (`jwt` whenever the client offered it first).
    static func webSocketToken(_ request: HTTPRequest) -> (token: String?, subprotocol: String?) {
        let offered = request.headers.listElements("Sec-WebSocket-Protocol")
        let subprotocol = offered.first == "jwt" ? "jwt" : nil
        if let token = bearer(request) { return (token, subprotocol) }
        if let token = CredentialLocator.queryPairs(request.query).first(where: { $0.0 == "token" })?.1 {
            return (token, subprotocol)
        }
        if subprotocol != nil, offered.count >= 2 { return (offered[1], subprotocol) }
        return (nil, subprotocol)
    }

    private static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.headers.first("Authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].split(separator: " ").first.map(String.init)
    }

    private func verify(_ token: String?, now: Double) -> Result<StagingTokens.Identity, StagingTokens.Rejection> {
        StagingTokens.verify(token, secret: configuration.secret, issuer: configuration.issuer, now: now)
    }

    private func login(_ request: HTTPRequest, now: Double) -> StagingResponse {
        guard let body = request.body, let json = try? JSONParser.parse(body.bytes),
              let username = json["username"]?.stringValue, let password = json["password"]?.stringValue
        else {
            return .json(400, "Bad Request", .object([
                ("error", .string("invalid_request")),
                ("error_description", .string("expected a JSON object with username and password")),
            ]))
        }
        guard let user = configuration.users.first(where: { $0.username == username && $0.password == password }) else {
            return .json(401, "Unauthorized", .object([("error", .string("invalid_credentials"))]))
        }
        let token = StagingTokens.mint(
            sub: user.username, email: user.email, role: user.role, secret: configuration.secret,
            issuedAt: Int(now), lifetime: configuration.tokenLifetime, issuer: configuration.issuer
        )
        return .json(200, "OK", .object([
            ("access_token", .string(token)), ("token_type", .string("Bearer")), ("expires_in", .int(configuration.tokenLifetime)),
        ]), headers: [HeaderField("Cache-Control", "no-store")])
    }

    private func profile(_ request: HTTPRequest, now: Double) -> StagingResponse {
        switch verify(Self.bearer(request), now: now) {
        case .failure(let rejection):
            return unauthorized(rejection, close: false)
        case .success(let identity):
            let name = configuration.users.first { $0.username == identity.subject }?.name
            func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
            let profile: [(String, JSONValue)] = [
                ("user_id", .string(identity.subject)), ("email", optional(identity.email)),
                ("role", optional(identity.role)), ("name", optional(name)),
            ]
            return .json(200, "OK", .object(profile))
        }
    }

    private func unauthorized(_ rejection: StagingTokens.Rejection, close: Bool) -> StagingResponse {
        .json(401, "Unauthorized", .object([
            ("error", .string("invalid_token")), ("error_description", .string(rejection.description)),
        ]), headers: [HeaderField("WWW-Authenticate", "Bearer error=\"invalid_token\"")], close: close)
    }
}
