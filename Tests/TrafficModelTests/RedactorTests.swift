import XCTest
@testable import TrafficModel

/// A recording with one of every kind of secret, each a distinct string the
/// tests can grep for in the encoded bytes.
enum SecretFixtures {
    static func jwt(sub: String, email: String, signatureText: String) -> String {
        let header = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"sub":"\#(sub)","email":"\#(email)","iat":1764050400,"exp":1764054000}"#.utf8), url: true, padding: false)
        return "\(header).\(claims).\(Base64.encode(Array(signatureText.utf8), url: true, padding: false))"
    }

    static let accessToken = jwt(sub: "alice", email: "alice@example.com", signatureText: "the real signature of alice's token!")
    static let otherToken = jwt(sub: "bob", email: "bob@example.com", signatureText: "the real signature of bob's token!!!")
    static let refreshToken = "rt-9f8e7d6c5b4a3928171605"
    static let password = "hunter2-correct-horse"
    static let clientSecret = "cs-0011223344556677aabb"
    static let sessionCookie = "sess-4c1d2e3f4a5b6c7d8e9f"
    static let apiKeyQuery = "qk-7a6b5c4d3e2f1a0b9c8d"
    static let basicPassword = "basic-pass-778899"
    static let basicCredentials = Base64.encode(Array("alice:\(basicPassword)".utf8))
    static let headerKey = "xak-1234567890abcdef1234"
    static let awsKey = "AKIAIOSFODNN7EXAMPLE"
    static let pemBody = "MIIEpAIBAAKCAQEA0123456789abcdef"
    static let githubToken = "ghp_" + String(repeating: "aB3", count: 12)
    static let slackToken = "xoxb-123456789012-abcdefABCDEF"
    static let googleKey = "AIza" + String(repeating: "Sy_-9", count: 7)
    static let anomalyToken = "anomaly-token-5566778899aabbcc"
    static let wsSecret = "ws-opaque-secret-0a1b2c3d4e5f"

    static func signature(_ token: String) -> String { String(token.split(separator: ".")[2]) }

    /// Every raw value that must not survive redaction.
    static var secrets: [String] {
        [
            signature(accessToken), signature(otherToken), refreshToken, password, clientSecret, sessionCookie, apiKeyQuery,
            basicCredentials, headerKey, awsKey, pemBody, githubToken, slackToken, googleKey, anomalyToken, wsSecret,
        ]
    }

    static func recording() -> Recording {
        let login = HTTPExchange(
            request: HTTPRequest(
                at: 0.1, method: "POST", target: "/oauth/token",
                headers: [HeaderField("Host", "staging"), HeaderField("Content-Type", "application/x-www-form-urlencoded"), HeaderField("Content-Length", "0")],
                body: .text("grant_type=password&username=alice&password=\(password)&client_secret=\(clientSecret)"), framing: .contentLength
            ),
            response: HTTPResponse(
                at: 0.2, status: 200, reason: "OK",
                headers: [HeaderField("Content-Type", "application/json"), HeaderField("Set-Cookie", "session=\(sessionCookie); Path=/; HttpOnly")],
                body: .text(#"{"access_token":"\#(accessToken)","refresh_token":"\#(refreshToken)","token_type":"Bearer","note":"\#(awsKey)"}"#),
                framing: .contentLength
            )
        )
        let api = HTTPExchange(
            request: HTTPRequest(
                at: 0.3, method: "GET", target: "/api/items?api_key=\(apiKeyQuery)&page=2",
                headers: [
                    HeaderField("Host", "staging"), HeaderField("Authorization", "Bearer \(accessToken)"),
                    HeaderField("Cookie", "theme=dark; session=\(sessionCookie)"), HeaderField("X-Api-Key", headerKey),
                ]
            ),
            response: HTTPResponse(
                at: 0.4, status: 200, reason: "OK", headers: [HeaderField("Content-Type", "application/json")],
                body: .text("{\n  \"key\": \"-----BEGIN RSA PRIVATE KEY-----\\n\(pemBody)\\n-----END RSA PRIVATE KEY-----\",\n  \"gh\": \"\(githubToken)\",\n  \"slack\": \"\(slackToken)\",\n  \"google\": \"\(googleKey)\"\n}\n"),
                framing: .close
            )
        )
        let basic = HTTPExchange(
            request: HTTPRequest(at: 0.5, method: "GET", target: "/admin", headers: [HeaderField("Authorization", "Basic \(basicCredentials)")]),
            response: HTTPResponse(at: 0.6, status: 204, reason: "No Content", headers: [])
        )
        let upgrade = HTTPExchange(
            request: HTTPRequest(
                at: 1.0, method: "GET", target: "/ws?token=\(otherToken)",
                headers: [HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"), HeaderField("Sec-WebSocket-Protocol", "chat, authorization.bearer.\(accessToken)")]
            ),
            response: HTTPResponse(at: 1.01, status: 101, reason: "Switching Protocols", headers: [HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade")])
        )
        let authMessage = #"{"type":"auth","token":"\#(wsSecret)","jwt":"\#(accessToken)"}"#
        let messages = [
            WebSocketMessage(direction: .client, at: 1.1, opcode: .text, payload: .text(authMessage),
                             frames: [WebSocketFrameInfo(fin: false, opcode: .text, length: 10, masked: true),
                                      WebSocketFrameInfo(fin: true, opcode: .continuation, length: authMessage.utf8.count - 10, masked: true)]),
            WebSocketMessage(direction: .server, at: 1.2, opcode: .text, payload: .text("welcome \(otherToken)")),
            WebSocketMessage(direction: .server, at: 1.3, opcode: .close, payload: .text("bye"), closeCode: 1000),
        ]
        return Recording(
            source: Source(kind: .handWritten, name: "secrets", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [
                Session(id: "s1", client: Endpoint(host: "10.0.0.5", port: 5000), server: Endpoint(host: "10.0.0.9", port: 80), start: 0,
                        exchanges: [login, api, basic],
                        anomalies: [Anomaly(kind: .malformedHTTP, direction: .client, at: 0.7, detail: "bad request line",
                                            data: .text("GARBAGE\r\nAuthorization: Bearer \(anomalyToken)\r\n\r\n"))]),
                Session(id: "s2", client: Endpoint(host: "10.0.0.5", port: 5001), server: Endpoint(host: "10.0.0.9", port: 80), start: 1,
                        exchanges: [upgrade], websocket: WebSocketSession(messages: messages)),
            ]
        ).analyzed
    }
}

extension Recording {
    var analyzed: Recording { AuthAnalyzer().analyze(self) }
}

final class RedactorTests: XCTestCase {
    func testNoRawSecretSurvivesAnywhereInTheEncodedRecording() throws {
        let original = RecordingCodec.encode(SecretFixtures.recording())
        for secret in SecretFixtures.secrets {
            XCTAssertTrue(original.contains(secret), "the fixture should contain \(secret)")
        }
        let (redacted, summary) = Redactor().redact(SecretFixtures.recording())
        let bytes = RecordingCodec.encode(redacted)
        for secret in SecretFixtures.secrets {
            XCTAssertFalse(bytes.contains(secret), "\(secret) survived redaction")
        }
        XCTAssertTrue(summary.enabled)
        XCTAssertEqual(redacted.redaction, summary)
        // Counts per rule, never values.
        XCTAssertEqual(summary.counts["cookie"], 1, "session; theme is a preference and stays as sent")
        XCTAssertEqual(summary.counts["set-cookie"], 1)
        XCTAssertEqual(summary.counts["body:password"], 1)
        XCTAssertEqual(summary.counts["body:client_secret"], 1)
        XCTAssertEqual(summary.counts["query:api_key"], 1)
        XCTAssertEqual(summary.counts["pattern:aws-access-key-id"], 1)
        XCTAssertEqual(summary.counts["pattern:private-key"], 1)
        XCTAssertGreaterThanOrEqual(summary.counts["jwt-signature"] ?? 0, 6)
        for name in summary.counts.keys {
            XCTAssertFalse(SecretFixtures.secrets.contains { name.contains($0) })
        }
        // The decoded file is still a valid recording with the same shape.
        let decoded = try RecordingCodec.decode(Array(bytes.utf8))
        XCTAssertEqual(decoded, redacted)
        XCTAssertEqual(decoded.sessions.map(\.exchanges.count), [3, 1])
    }

    func testStructureIsKept() throws {
        let (redacted, _) = Redactor().redact(SecretFixtures.recording())
        let api = redacted.sessions[0].exchanges[1].request
        XCTAssertTrue(try XCTUnwrap(api.headers.first("Authorization")).hasPrefix("Bearer eyJ"))
        XCTAssertEqual(api.headers.first("Cookie")?.hasPrefix("theme=dark;"), true, "a preference cookie is kept (it is no secret and replays as sent)")
        XCTAssertTrue(api.headers.first("Cookie")!.contains("; session=redacted:"))
        XCTAssertTrue(api.target.hasPrefix("/api/items?api_key=redacted:"))
        XCTAssertTrue(api.target.hasSuffix("&page=2"))
        let setCookie = try XCTUnwrap(redacted.sessions[0].exchanges[0].response?.headers.first("Set-Cookie"))
        XCTAssertTrue(setCookie.hasPrefix("session=redacted:") && setCookie.hasSuffix("; Path=/; HttpOnly"), setCookie)
        let form = try XCTUnwrap(redacted.sessions[0].exchanges[0].request.body?.text)
        XCTAssertTrue(form.hasPrefix("grant_type=password&username=alice&password=redacted:"), form)
        XCTAssertEqual(redacted.sessions[0].exchanges[0].request.headers.first("Content-Length"), String(form.utf8.count))
        // Basic keeps the user name, so findings still say who.
        let basic = try XCTUnwrap(redacted.sessions[0].exchanges[2].request.headers.first("Authorization"))
        let decoded = String(decoding: try XCTUnwrap(Base64.decode(basic.dropFirst(6))), as: UTF8.self)
        XCTAssertTrue(decoded.hasPrefix("alice:redacted:"), decoded)
        XCTAssertFalse(decoded.contains(SecretFixtures.basicPassword))
        XCTAssertTrue(redacted.sessions[0].auth.contains { $0.scheme == .basic && $0.user == "alice" })
        // Fragmentation stays true to the new payload length.
        let message = try XCTUnwrap(redacted.sessions[1].websocket?.messages[0])
        XCTAssertEqual(message.frames?.reduce(0) { $0 + $1.length }, message.payload.count)
        // A pretty JSON body stays pretty.
        XCTAssertTrue(try XCTUnwrap(redacted.sessions[0].exchanges[1].response?.body?.text).hasPrefix("{\n  \"key\": \"redacted:"))
    }

    func testJWTStaysAReadableThreePartTokenWithARedactedSignature() throws {
        let redactor = Redactor()
        let original = try XCTUnwrap(JWT(SecretFixtures.accessToken))
        let redacted = try XCTUnwrap(JWT(redactor.redact(value: SecretFixtures.accessToken)))
        XCTAssertEqual(redacted.header, original.header)
        XCTAssertEqual(redacted.claims, original.claims)
        XCTAssertEqual(redacted.encodedHeader, original.encodedHeader)
        XCTAssertEqual(redacted.encodedClaims, original.encodedClaims)
        XCTAssertEqual(redacted.encodedSignature.count, original.encodedSignature.count)
        XCTAssertTrue(redacted.encodedSignature.hasPrefix("REDACTED"))
        XCTAssertNotNil(Base64.decode(redacted.encodedSignature))

        let (recording, _) = redactor.redact(SecretFixtures.recording())
        let jwtFindings = recording.sessions.flatMap(\.auth).compactMap(\.jwt)
        XCTAssertGreaterThanOrEqual(jwtFindings.count, 4)
        XCTAssertTrue(jwtFindings.allSatisfy { $0.signature == .redacted })
        XCTAssertTrue(jwtFindings.contains { $0.subject == "alice" })
    }

    func testEqualValuesGetEqualPseudonymsAndDifferentValuesDifferentOnes() {
        let redactor = Redactor()
        XCTAssertEqual(redactor.redact(value: SecretFixtures.accessToken), redactor.redact(value: SecretFixtures.accessToken))
        XCTAssertNotEqual(redactor.redact(value: SecretFixtures.accessToken), redactor.redact(value: SecretFixtures.otherToken))
        XCTAssertEqual(redactor.redact(value: "abc"), redactor.redact(value: "abc"))
        XCTAssertNotEqual(redactor.redact(value: "abc"), redactor.redact(value: "abd"))
        // Many distinct values, no collisions.
        let pseudonyms = Set((0..<2000).map { redactor.redact(value: "token-\($0)") })
        XCTAssertEqual(pseudonyms.count, 2000)
    }

    func testIssuedTokensStayLinkedToWhereTheyAreUsed() throws {
        let (redacted, _) = Redactor().redact(SecretFixtures.recording())
        // The cookie issued by the login is the one presented later, pseudonyms and all.
        let presented = try XCTUnwrap(redacted.sessions[0].auth.first { $0.location == "cookie:session" })
        XCTAssertEqual(presented.issuedBy?.location, "set-cookie:session")
        let bearer = try XCTUnwrap(redacted.sessions[0].auth.first { $0.location == "header:Authorization" && $0.exchange == 1 })
        XCTAssertEqual(bearer.issuedBy?.location, "body:$.access_token")
    }

    func testRedactionIsDeterministicAcrossRunsAndIdempotent() {
        let first = RecordingCodec.encode(Redactor().redact(SecretFixtures.recording()).0)
        let second = RecordingCodec.encode(Redactor(rules: try! RedactionRules()).redact(SecretFixtures.recording()).0)
        XCTAssertEqual(first, second)
        // Pinned: the same value gets the same pseudonym in every process, on every machine.
        XCTAssertEqual(Pseudonymizer().pseudonym(for: "hunter2"), Self.pinnedPseudonym)
        // Redacting redacted data changes nothing, counts included.
        let once = Redactor().redact(SecretFixtures.recording()).0
        let twice = Redactor().redact(once).0
        XCTAssertEqual(RecordingCodec.encode(twice), RecordingCodec.encode(once))
    }

    /// HMAC-SHA-256 under the project key, checked against Python's `hmac`.
    static let pinnedPseudonym = "redacted:d8e8d644d65de82d"

    func testLiveRequestsAreRedactedLikeRecordedOnes() {
        let redactor = Redactor()
        let recorded = SecretFixtures.recording().sessions[0].exchanges[1].request
        let once = redactor.redact(request: recorded)
        XCTAssertEqual(redactor.redact(request: once), once)
        XCTAssertEqual(once, Redactor().redact(SecretFixtures.recording()).0.sessions[0].exchanges[1].request)
        let message = SecretFixtures.recording().sessions[1].websocket!.messages[0]
        XCTAssertEqual(redactor.redact(message: redactor.redact(message: message)), redactor.redact(message: message))
        XCTAssertFalse(redactor.redact(message: message).payload.text!.contains(SecretFixtures.wsSecret))
    }

    func testClaimsCanBePseudonymized() throws {
        let rules = RedactionRules.default.addingClaims(["email"])
        let redacted = Redactor(rules: rules).redact(value: SecretFixtures.accessToken)
        let jwt = try XCTUnwrap(JWT(redacted))
        XCTAssertEqual(jwt.claims["sub"]?.stringValue, "alice")
        XCTAssertEqual(jwt.claims["email"]?.stringValue?.hasPrefix("redacted:"), true)
        XCTAssertEqual(jwt.claims["exp"]?.intValue, 1_764_054_000)
        XCTAssertEqual(Redactor(rules: rules).redact(value: redacted), redacted)
        let (recording, summary) = Redactor(rules: rules).redact(SecretFixtures.recording())
        XCTAssertFalse(RecordingCodec.encode(recording).contains("alice@example.com"))
        XCTAssertGreaterThan(summary.counts["claim:email"] ?? 0, 0)
    }

    func testConfiguredHeadersQueryNamesPathsAndRegexes() throws {
        let rules = try RedactionRules(
            headers: ["X-Session"], queryNames: ["sig"], jsonPaths: ["$.user.ssn", "$.cards[*].number"], regexes: ["sk_live_[0-9A-Za-z]+"]
        )
        let request = HTTPRequest(
            at: 0, method: "POST", target: "/pay?sig=abcdef&x=1",
            headers: [HeaderField("X-Session", "s-1234"), HeaderField("X-Trace", "key sk_live_ABC123 here")],
            body: .text(#"{"user":{"ssn":"123-45-6789","name":"Al"},"cards":[{"number":"4111111111111111"}],"ssn":"kept"}"#)
        )
        let redacted = Redactor(rules: rules).redact(request: request)
        XCTAssertTrue(redacted.target.hasPrefix("/pay?sig=redacted:") && redacted.target.hasSuffix("&x=1"))
        XCTAssertTrue(redacted.headers.first("X-Session")!.hasPrefix("redacted:"))
        XCTAssertTrue(redacted.headers.first("X-Trace")!.hasPrefix("key redacted:") && redacted.headers.first("X-Trace")!.hasSuffix(" here"))
        let body = try JSONParser.parse(try XCTUnwrap(redacted.body?.text))
        XCTAssertEqual(body["user"]?["ssn"]?.stringValue?.hasPrefix("redacted:"), true)
        XCTAssertEqual(body["user"]?["name"]?.stringValue, "Al")
        XCTAssertEqual(body["cards"]?.arrayValue?.first?["number"]?.stringValue?.hasPrefix("redacted:"), true)
        XCTAssertEqual(body["ssn"]?.stringValue, "kept")
        XCTAssertEqual(Redactor(rules: rules).redact(request: redacted), redacted, "regex matches inside pseudonyms are left alone")
        // The defaults do none of that.
        XCTAssertEqual(Redactor().redact(request: request).headers.first("X-Session"), "s-1234")
    }

    func testNoRedactIsRecordedLoudly() throws {
        var recording = SecretFixtures.recording()
        recording.redaction = RedactionSummary(enabled: false)
        let text = RecordingCodec.encode(recording)
        XCTAssertTrue(text.contains("\"redaction\": {\n    \"enabled\": false"))
        XCTAssertEqual(try RecordingCodec.decode(Array(text.utf8)).redaction, RedactionSummary(enabled: false))
    }
}
