import XCTest
@testable import TrafficModel

final class AuthAnalyzerTests: XCTestCase {
    let jwt = Base64AndJWTTests.token

    func request(_ target: String, _ headers: [HeaderField], at: Double = 1) -> HTTPRequest {
        HTTPRequest(at: at, method: "GET", target: target, headers: headers)
    }

    func testFindsEveryPresentedCredentialKind() {
        let basic = Base64.encode(Array("bob:secret".utf8))
        let r = request("/ws?token=\(jwt)&api_key=abc123&page=2", [
            HeaderField("authorization", "BEARER \(jwt)"),
            HeaderField("Sec-WebSocket-Protocol", "v1, authorization.bearer.\(jwt)"),
            HeaderField("Cookie", "session=xyz; theme=dark"),
            HeaderField("Proxy-Authorization", "Basic \(basic)"),
            HeaderField("X-Api-Key", "k-123"),
            HeaderField("Authorization", "Digest username=\"x\""),
        ])
        let found = CredentialLocator.default.presented(in: r)
        XCTAssertEqual(found.map(\.location), [
            "header:authorization", "header:Sec-WebSocket-Protocol", "cookie:session",
            "header:Proxy-Authorization", "header:X-Api-Key", "header:Authorization", "query:token", "query:api_key",
        ])
        XCTAssertEqual(found.map(\.scheme), [.bearer, .jwt, .cookie, .basic, .token, .other, .jwt, .token], "theme=dark is a preference, not a credential")
        XCTAssertEqual(found[3].user, "bob")
        XCTAssertEqual(found[5].schemeName, "Digest")
        XCTAssertFalse(found.contains { $0.location == "query:page" })
    }

    func testBareJWTInAuthorization() {
        let found = CredentialLocator.default.presented(in: request("/", [HeaderField("Authorization", jwt)]))
        XCTAssertEqual(found.map(\.scheme), [.jwt])
    }

    func testIssuedTokensAreLinkedAcrossSessions() {
        let login = HTTPExchange(
            request: HTTPRequest(at: 0.1, method: "POST", target: "/auth/token", headers: []),
            response: HTTPResponse(at: 0.2, status: 200, reason: "OK", headers: [HeaderField("Set-Cookie", "sid=abc; HttpOnly")],
                                   body: .text(#"{"data":{"access_token":"\#(jwt)"},"expires_in":3600}"#))
        )
        let use = HTTPExchange(request: request("/ws", [HeaderField("Authorization", "Bearer \(jwt)"), HeaderField("Cookie", "sid=abc")], at: 1), response: nil)
        let stranger = HTTPExchange(request: request("/api", [HeaderField("Authorization", "Bearer other")], at: 2), response: nil)
        let recording = Recording(
            source: Source(kind: .handWritten, name: "t", tool: "t"), capturedAt: Timestamp(seconds: 1000),
            sessions: [
                Session(id: "a", client: Endpoint(host: "1.1.1.1", port: 1), server: Endpoint(host: "2.2.2.2", port: 80), start: 0, exchanges: [login]),
                Session(id: "b", client: Endpoint(host: "1.1.1.1", port: 2), server: Endpoint(host: "2.2.2.2", port: 80), start: 1, exchanges: [use, stranger]),
            ]
        )
        let analyzed = AuthAnalyzer().analyze(recording)
        XCTAssertEqual(analyzed.sessions[0].auth.map(\.location), ["set-cookie:sid", "body:$.data.access_token"])
        XCTAssertEqual(analyzed.sessions[0].auth.map(\.role), [.issued, .issued])
        let b = analyzed.sessions[1].auth
        XCTAssertEqual(b.map(\.location), ["header:Authorization", "cookie:sid", "header:Authorization"])
        XCTAssertEqual(b[0].issuedBy, IssuedReference(session: "a", exchange: 0, location: "body:$.data.access_token"))
        XCTAssertEqual(b[1].issuedBy?.location, "set-cookie:sid")
        XCTAssertNil(b[2].issuedBy)
        // The JWT is judged at its moment of use: capturedAt 1000 + 1 s; exp is 4600.
        XCTAssertEqual(b[0].jwt?.expiresIn, 3599)
        XCTAssertEqual(b[0].exchange, 0)
        XCTAssertEqual(b[2].exchange, 1)
        // Idempotent.
        XCTAssertEqual(AuthAnalyzer().analyze(analyzed), analyzed)
    }

    /// A Socket.IO CONNECT's auth object is a finding on the upgrade exchange,
    /// linked to the login that issued it; inspect shows it on the message.
    func testCredentialsInsideClientMessagesAreFindings() throws {
        let login = HTTPExchange(
            request: HTTPRequest(at: 0.1, method: "POST", target: "/auth/token", headers: []),
            response: HTTPResponse(at: 0.2, status: 200, reason: "OK", headers: [], body: .text(#"{"access_token":"\#(jwt)"}"#))
        )
        let handshake = HTTPExchange(
            request: HTTPRequest(at: 0.3, method: "GET", target: "/socket.io/?EIO=4&transport=websocket", headers: []),
            response: HTTPResponse(at: 0.31, status: 101, reason: "Switching Protocols", headers: [HeaderField("Upgrade", "websocket")])
        )
        let socket = Session(
            id: "s2", client: Endpoint(parsing: "10.0.0.1:2")!, server: Endpoint(parsing: "10.0.0.2:80")!, start: 0.3, exchanges: [handshake],
            websocket: WebSocketSession(messages: [
                WebSocketMessage(direction: .server, at: 0.32, opcode: .text, payload: .text(#"0{"sid":"abc"}"#)),
                WebSocketMessage(direction: .client, at: 0.33, opcode: .text, payload: .text(#"40{"token":"\#(jwt)"}"#)),
                WebSocketMessage(direction: .server, at: 0.34, opcode: .text, payload: .text(#"{"token":"\#(jwt)"}"#)),
            ])
        )
        let recording = Recording(
            source: Source(kind: .handWritten, name: "t", tool: "test"), capturedAt: Timestamp(microseconds: 0),
            sessions: [Session(id: "s1", client: Endpoint(parsing: "10.0.0.1:1")!, server: Endpoint(parsing: "10.0.0.2:80")!, start: 0, exchanges: [login]), socket]
        )
        let analyzed = AuthAnalyzer().analyze(recording)
        let findings = analyzed.sessions[1].auth
        XCTAssertEqual(findings.map(\.location), ["message:40$.token"], "a server message is not a presented credential")
        XCTAssertEqual(findings.first?.exchange, 0)
        XCTAssertEqual(findings.first?.issuedBy, IssuedReference(session: "s1", exchange: 0, location: "body:$.access_token"))
        let lines = Timeline.render(analyzed).map(\.text)
        XCTAssertTrue(lines.contains { $0.contains("→ GET /socket.io/?EIO=4&transport=websocket") && !$0.contains("40$") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains("→ text 40{") && $0.contains("  40$.token <JWT") && $0.hasSuffix("(issued)") }, lines.joined(separator: "\n"))
    }

    /// Over long-polling a Socket.IO CONNECT travels in a POST body, among other packets.
    func testACONNECTInAPollingBodyIsPresented() {
        let post = HTTPRequest(at: 1, method: "POST", target: "/socket.io/?EIO=4&transport=polling&sid=abc", headers: [],
                               body: .text("2\u{1E}40/admin,{\"token\":\"\(jwt)\"}"))
        let found = CredentialLocator.default.presented(in: post)
        XCTAssertEqual(found.map(\.location), ["body:40/admin,$.token"])
        XCTAssertEqual(found.first?.value, jwt)
        // An ordinary JSON body is not read for presented tokens.
        let json = HTTPRequest(at: 1, method: "POST", target: "/x", headers: [], body: .text(#"{"token":"\#(jwt)"}"#))
        XCTAssertEqual(CredentialLocator.default.presented(in: json).map(\.location), [])
    }
}
