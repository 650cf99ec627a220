import AsyncHTTPClient
import ExampleStagingService
import Foundation
import HTTPTypes
import NIOCore
import NIOWebSocket
import TrafficModel
import WSClient
import XCTest

/// The example staging service, live on port 0, driven by real clients.
final class StagingServiceTests: XCTestCase {
    static let secret = StagingService.Configuration.defaultSecret
    static let userContextError = "user_context must be a UserExecutionContext instance"

    private var services: [StagingService] = []
    /// The shared client: a per-test-case one would be created (and never shut down) when XCTest lists the tests.
    private var client: HTTPClient { .shared }

    override func tearDown() async throws {
        for service in services { try await service.stop() }
        services = []
    }

    private func start(
        authFailure: StagingService.AuthFailure = .errorFrame, regression: StagingService.Regression? = nil
    ) async throws -> StagingService {
        let service = try await StagingService.start(configuration: .init(
            host: "127.0.0.1", port: 0, secret: Self.secret, authFailure: authFailure, regression: regression, tokenLifetime: 600
        ))
        services.append(service)
        return service
    }

    private func login(_ service: StagingService, password: String = "correct-horse-battery") async throws -> Clients.Response {
        try await Clients.http(
            client, .POST, service.baseURL + "/auth/token", headers: [("Content-Type", "application/json")],
            body: #"{"username":"alice","password":"\#(password)"}"#
        )
    }

    private func token(_ service: StagingService) async throws -> String {
        let response = try await login(service)
        return try XCTUnwrap(response.json?["access_token"]?.stringValue)
    }

    /// Changes one character in the middle of the signature.
    private func tampered(_ token: String) -> String {
        var characters = Array(token)
        let index = characters.count - 10
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }

    private func expiredToken() -> String {
        StagingService.mintToken(sub: "alice", secret: Self.secret, issuedAt: Int(Date().timeIntervalSince1970) - 7200, lifetime: 3600)
    }

    // MARK: REST

    func testHealthAndLoginIssueAVerifiableHS256Token() async throws {
        let service = try await start()
        let health = try await Clients.http(client, .GET, service.baseURL + "/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json?["status"]?.stringValue, "ok")

        let before = Int(Date().timeIntervalSince1970)
        let response = try await login(service)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.json?["token_type"]?.stringValue, "Bearer")
        XCTAssertEqual(response.json?["expires_in"]?.intValue, 600)
        let token = try XCTUnwrap(response.json?["access_token"]?.stringValue)
        let jwt = try XCTUnwrap(JWT(token))
        XCTAssertEqual(jwt.algorithm, "HS256")
        XCTAssertEqual(jwt.claims.objectValue?.map(\.0), ["sub", "email", "role", "iat", "exp", "iss"])
        XCTAssertEqual(jwt.claims["sub"]?.stringValue, "alice")
        XCTAssertEqual(jwt.claims["email"]?.stringValue, "alice@example.com")
        XCTAssertEqual(jwt.claims["iss"]?.stringValue, "staging-auth")
        // Integer NumericDates, not fractional ones.
        let iat = try XCTUnwrap(jwt.claims["iat"]).asLiteral
        let exp = try XCTUnwrap(jwt.claims["exp"]).asLiteral
        XCTAssertNotNil(Int(iat), "iat \(iat)")
        XCTAssertNotNil(Int(exp), "exp \(exp)")
        XCTAssertEqual((Int(exp) ?? 0) - (Int(iat) ?? 0), 600)
        XCTAssertGreaterThanOrEqual(Int(iat) ?? 0, before)

        let now = Date().timeIntervalSince1970
        XCTAssertEqual(try StagingTokens.verify(token, secret: Self.secret, issuer: "staging-auth", now: now).get().subject, "alice")
        XCTAssertEqual(
            StagingTokens.verify(token, secret: Self.secret + "x", issuer: "staging-auth", now: now),
            .failure(.badSignature), "another key must not verify it"
        )
        XCTAssertEqual(StagingTokens.verify(token, secret: Self.secret, issuer: "staging-auth", now: now + 601), .failure(.expired))
    }

    func testWrongCredentialsAre401InvalidCredentials() async throws {
        let service = try await start()
        let response = try await login(service, password: "wrong")
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.body, #"{"error":"invalid_credentials"}"#)
        let malformed = try await Clients.http(client, .POST, service.baseURL + "/auth/token", body: "not json")
        XCTAssertEqual(malformed.status, 400)
    }

    func testProfileWithBearerTokenOr401() async throws {
        let service = try await start()
        let token = try await token(service)
        let me = try await Clients.http(client, .GET, service.baseURL + "/api/me", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual(me.json?["user_id"]?.stringValue, "alice")
        XCTAssertEqual(me.json?["email"]?.stringValue, "alice@example.com")
        XCTAssertEqual(me.json?["role"]?.stringValue, "user")

        for (label, headers) in [
            ("no token", [(String, String)]()),
            ("tampered", [("Authorization", "Bearer \(tampered(token))")]),
            ("expired", [("Authorization", "Bearer \(expiredToken())")]),
        ] {
            let refused = try await Clients.http(client, .GET, service.baseURL + "/api/me", headers: headers)
            XCTAssertEqual(refused.status, 401, label)
            XCTAssertEqual(refused.header("WWW-Authenticate"), #"Bearer error="invalid_token""#, label)
            XCTAssertEqual(refused.json?["error"]?.stringValue, "invalid_token", label)
        }
    }

    // MARK: WebSocket, authenticated

    /// A session: user_message → the four agent events, ping → pong, binary → echoed, then close.
    private func agentSession(_ url: String, headers: [(HTTPField.Name, String)] = []) async throws -> WebSocketOutcome {
        try await Clients.webSocket(url, headers: headers) { text in
            let type = (try? JSONParser.parse(text))?["type"]?.stringValue
            switch type {
            case "connection_established": return [.text(#"{"type":"user_message","content":"hello agent"}"#)]
            case "agent_completed": return [.text(#"{"type":"ping"}"#)]
            case "pong": return [.binary([0, 1, 2, 0xFF])]
            default: return text.hasPrefix("binary:") ? [.close] : []
            }
        }
    }

    private func assertAgentSession(_ outcome: WebSocketOutcome, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(
            outcome.types, ["connection_established", "agent_started", "agent_thinking", "tool_executing", "agent_completed", "pong"],
            label, file: file, line: line
        )
        XCTAssertEqual(outcome.texts.last, "binary:000102ff", label, file: file, line: line)
        let established = outcome.json.first
        XCTAssertEqual(established?["user_id"]?.stringValue, "alice", label, file: file, line: line)
        XCTAssertNotNil(established?["connection_id"]?.stringValue.flatMap { UUID(uuidString: $0) }, label, file: file, line: line)
        XCTAssertNotNil(established?["timestamp"]?.doubleValue, label, file: file, line: line)
        let runIDs = Set(outcome.json.dropFirst().prefix(4).compactMap { $0["run_id"]?.stringValue })
        XCTAssertEqual(runIDs.count, 1, "one run_id for the four agent events (\(label))", file: file, line: line)
        XCTAssertTrue(outcome.json.dropFirst().allSatisfy { $0["timestamp"]?.doubleValue != nil }, label, file: file, line: line)
        XCTAssertEqual(outcome.closeCode, .normalClosure, label, file: file, line: line)
    }

    func testWebSocketWithEachTokenPlacement() async throws {
        let service = try await start()
        let token = try await token(service)
        assertAgentSession(try await agentSession(service.webSocketURL, headers: [(.authorization, "Bearer \(token)")]), "Authorization")
        assertAgentSession(try await agentSession(service.webSocketURL + "?token=\(token)"), "query")
        assertAgentSession(
            try await agentSession(service.webSocketURL, headers: [(.secWebSocketProtocol, "jwt, \(token)")]), "Sec-WebSocket-Protocol"
        )
        // The server selects the `jwt` subprotocol (RFC 6455 §4.2.2).
        let handshake = try await Clients.rawHandshake(port: service.port, "/ws", headers: ["Sec-WebSocket-Protocol: jwt, \(token)"])
        XCTAssertEqual(handshake.status, 101)
        XCTAssertEqual(handshake.header("Sec-WebSocket-Protocol"), "jwt")
    }

    // MARK: WebSocket, refused

    private func refusedPlacements(_ service: StagingService, validToken: String) -> [(String, String, [(HTTPField.Name, String)])] {
        [
            ("no token", service.webSocketURL, []),
            ("tampered", service.webSocketURL, [(.authorization, "Bearer \(tampered(validToken))")]),
            ("expired", service.webSocketURL + "?token=\(expiredToken())", []),
            ("garbage subprotocol token", service.webSocketURL, [(.secWebSocketProtocol, "jwt, not-a-token")]),
        ]
    }

    private func assertAuthRequired(_ outcome: WebSocketOutcome, error: String?, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.json.count, 1, "\(label): \(outcome.texts)", file: file, line: line)
        let frame = outcome.json.first
        XCTAssertEqual(frame?.objectValue?.map(\.0), ["type", "error_code", "error_message", "details", "timestamp", "recovery_suggestions"], label, file: file, line: line)
        XCTAssertEqual(frame?["type"]?.stringValue, "error_message", label, file: file, line: line)
        XCTAssertEqual(frame?["error_code"]?.stringValue, "AUTH_REQUIRED", label, file: file, line: line)
        XCTAssertEqual(
            frame?["error_message"]?.stringValue, "Authentication failed: Valid JWT token required for WebSocket connection", label, file: file, line: line
        )
        XCTAssertEqual(frame?["details"]?["environment"]?.stringValue, "staging", label, file: file, line: line)
        if let error { XCTAssertEqual(frame?["details"]?["error"]?.stringValue, error, label, file: file, line: line) }
        XCTAssertEqual(frame?["recovery_suggestions"], .null, label, file: file, line: line)
        XCTAssertEqual(outcome.closeCode, .policyViolation, label, file: file, line: line)
        XCTAssertEqual(outcome.closeReason, "auth required", label, file: file, line: line)
    }

    func testRefusedWebSocketGetsErrorFrameAnd1008() async throws {
        let service = try await start(authFailure: .errorFrame)
        let token = try await token(service)
        let expected = ["No token provided", "Invalid token: signature verification failed", "Token has expired", "Invalid token: not a JWT"]
        for ((label, url, headers), error) in zip(refusedPlacements(service, validToken: token), expected) {
            assertAuthRequired(try await agentSession(url, headers: headers), error: error, label)
        }
    }

    func testRefusedWebSocketGets401BeforeTheUpgrade() async throws {
        let service = try await start(authFailure: .httpUnauthorized)
        let token = try await token(service)
        for (label, url, headers) in refusedPlacements(service, validToken: token) {
            do {
                let outcome = try await agentSession(url, headers: headers)
                XCTFail("\(label): upgraded, got \(outcome.texts)")
            } catch let error as WebSocketClientError {
                XCTAssertEqual(error, .webSocketUpgradeFailed, label)
            }
        }
        let refused = try await Clients.rawHandshake(port: service.port, "/ws?token=\(tampered(token))")
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.header("WWW-Authenticate"), #"Bearer error="invalid_token""#)
        XCTAssertEqual(refused.json?["error"]?.stringValue, "invalid_token")
        XCTAssertNil(refused.header("Upgrade"))
        // A valid token still upgrades in this mode.
        assertAgentSession(try await agentSession(service.webSocketURL, headers: [(.authorization, "Bearer \(token)")]), "valid, http-401 mode")
    }

    func testUserContextRegressionFailsEvenWithAValidToken() async throws {
        let service = try await start(regression: .userContext)
        let token = try await token(service)
        let me = try await Clients.http(client, .GET, service.baseURL + "/api/me", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(me.status, 200, "REST is unaffected by the regression")
        assertAuthRequired(
            try await agentSession(service.webSocketURL, headers: [(.authorization, "Bearer \(token)")]), error: Self.userContextError, "regression"
        )
        assertAuthRequired(
            try await agentSession(service.webSocketURL, headers: [(.secWebSocketProtocol, "jwt, \(token)")]), error: Self.userContextError,
            "regression, subprotocol"
        )
    }

    func testShortSecretIsRejected() async throws {
        do {
            let service = try await StagingService.start(configuration: .init(secret: "too-short"))
            services.append(service)
            XCTFail("started with a 9-byte secret")
        } catch let error as StagingServiceError {
            XCTAssertTrue(error.description.contains("32 bytes"), error.description)
        }
    }
}

private extension JSONValue {
    /// A number's literal text.
    var asLiteral: String {
        if case .number(let literal) = self { return literal }
        return "\(self)"
    }
}
