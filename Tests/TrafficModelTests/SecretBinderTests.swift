import TrafficModel
import XCTest

/// Secrets bound at replay time into a redacted recording: where the
/// pseudonym stood, encoded for the place; each recorded value keeps its
/// recorded outcome; a binding that matches nothing is refused.
final class SecretBinderTests: XCTestCase {
    static let rules: RedactionRules = {
        var rules = RedactionRules.default
        rules.pseudonymizer = Pseudonymizer(key: Array("a project key of thirty-two bytes".utf8))
        return rules
    }()

    static func login(_ password: String, at: Double) -> HTTPExchange {
        let body = #"{"username":"alice","password":"\#(password.replacing("\"", with: "\\\""))"}"#
        return HTTPExchange(
            request: HTTPRequest(at: at, method: "POST", target: "/auth/token", headers: [
                HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", String(body.utf8.count)),
            ], body: .text(body), framing: .contentLength),
            response: HTTPResponse(at: at + 0.01, status: password == "right \"one\"" ? 200 : 401, reason: "", headers: [])
        )
    }

    /// Two logins (the right password with a quote in it, then a wrong one),
    /// a query key and Basic auth, redacted with the project key.
    static func redacted() -> Recording {
        let api = HTTPExchange(
            request: HTTPRequest(at: 3, method: "GET", target: "/export?api_key=k%2Fy&page=2", headers: [
                HeaderField("Authorization", "Basic " + Base64.encode(Array("alice:s3cret:pw".utf8))),
            ]),
            response: nil
        )
        let raw = Recording(
            source: Source(kind: .handWritten, name: "logins", tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [
                Session(id: "s1", client: Endpoint(host: "10.0.0.1", port: 1), server: Endpoint(host: "10.0.0.2", port: 80), start: 1, exchanges: [login("right \"one\"", at: 1)]),
                Session(id: "s2", client: Endpoint(host: "10.0.0.1", port: 2), server: Endpoint(host: "10.0.0.2", port: 80), start: 2, exchanges: [login("guess", at: 2), api]),
            ]
        )
        return Redactor(rules: rules).redact(raw).0
    }

    func testEachValueIsBoundWhereItsPseudonymWasRecorded() throws {
        let recording = Self.redacted()
        XCTAssertEqual(recording.redaction?.pseudonymKeyID, Self.rules.pseudonymizer.keyID)
        let binder = SecretBinder(bindings: [
            SecretBinding(parsing: #"body:password=right "one""#)!, SecretBinding(parsing: "query:api_key=k/y")!,
            SecretBinding(parsing: "header:Authorization=s3cret:pw")!,
        ], rules: Self.rules)
        let (bound, unbound) = try binder.bind(recording)
        let first = bound.sessions[0].exchanges[0].request
        XCTAssertEqual(first.body, .text(#"{"username":"alice","password":"right \"one\""}"#), "escaped inside the JSON string")
        XCTAssertEqual(first.headers.first("Content-Length"), String(first.body!.count))
        XCTAssertTrue(bound.sessions[1].exchanges[0].request.body!.text!.contains("redacted:"), "the wrong password is another value: left as recorded")
        XCTAssertEqual(bound.sessions[1].exchanges[1].request.target, "/export?api_key=k%2Fy&page=2")
        XCTAssertEqual(bound.sessions[1].exchanges[1].request.headers.first("Authorization"), "Basic " + Base64.encode(Array("alice:s3cret:pw".utf8)))
        XCTAssertNil(unbound["s1"])
        XCTAssertEqual(unbound["s2"]?.count, 1)
        XCTAssertTrue(unbound["s2"]?.first?.hasPrefix("body:password redacted:") ?? false)
        // The recording itself is untouched: nothing to write back.
        XCTAssertTrue(recording.sessions[0].exchanges[0].request.body!.text!.contains("redacted:"))
    }

    func testOneRecordedValueCanBeBoundExactlyByItsPseudonym() throws {
        let recording = Self.redacted()
        let wrong = try XCTUnwrap(recording.sessions[1].exchanges[0].request.body?.text?.firstMatch(of: /redacted:[0-9a-f]{16}/)).output
        let (bound, _) = try SecretBinder(bindings: [SecretBinding(parsing: "\(wrong)=guess")!], rules: .default).bind(recording)
        XCTAssertEqual(bound.sessions[1].exchanges[0].request.body, .text(#"{"username":"alice","password":"guess"}"#))
    }

    func testBindingsThatMatchNothingOrCannotBeToldApartAreRefused() {
        let recording = Self.redacted()
        XCTAssertThrowsError(try SecretBinder(bindings: [SecretBinding(parsing: "body:pin=1234")!], rules: Self.rules).bind(recording)) { error in
            XCTAssertTrue("\(error)".contains("no redacted value under body:pin"), "\(error)")
            XCTAssertEqual(error as? RecordingError, RecordingError(.invalidSecretBinding, ""))
            XCTAssertTrue("\(error)".hasPrefix("--secret body:pin: the recording sends"), "\(error)")
        }
        XCTAssertThrowsError(try SecretBinder(bindings: [SecretBinding(parsing: "body:password=not-recorded")!], rules: Self.rules).bind(recording)) { error in
            XCTAssertTrue("\(error)".contains("not one the recording sent under body:password"), "\(error)")
        }
        // Without the project's key, two recorded passwords cannot be told apart.
        XCTAssertThrowsError(try SecretBinder(bindings: [SecretBinding(parsing: #"body:password=right "one""#)!], rules: .default).bind(recording)) { error in
            XCTAssertTrue("\(error)".contains("2 different values were recorded under body:password"), "\(error)")
        }
    }

    func testAGuessedValueInAnotherProjectDoesNotReproduceAPseudonym() {
        let ours = Self.rules.pseudonymizer.pseudonym(for: "guess")
        XCTAssertNotEqual(Pseudonymizer().pseudonym(for: "guess"), ours)
        XCTAssertNotEqual(Pseudonymizer(key: Array("another project's random key!!".utf8)).pseudonym(for: "guess"), ours)
        XCTAssertNil(Pseudonymizer().keyID, "the public default key has no id to write")
    }

    func testAValueTheServerIssuedIsChainedNotNotedAsUnbound() throws {
        let issued = HTTPExchange(
            request: HTTPRequest(at: 1, method: "POST", target: "/auth/token", headers: []),
            response: HTTPResponse(at: 1.1, status: 200, reason: "OK", headers: [HeaderField("Content-Type", "application/json")], body: .text(#"{"refresh_token":"r-0123456789abcdef"}"#))
        )
        let refresh = HTTPExchange(
            request: HTTPRequest(at: 2, method: "POST", target: "/auth/refresh", headers: [HeaderField("Content-Type", "application/json")], body: .text(#"{"refresh_token":"r-0123456789abcdef"}"#)),
            response: nil
        )
        let raw = Recording(
            source: Source(kind: .handWritten, name: "refresh", tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [Session(id: "s1", client: Endpoint(host: "10.0.0.1", port: 1), server: Endpoint(host: "10.0.0.2", port: 80), start: 1, exchanges: [issued, refresh])]
        )
        let redacted = Redactor(rules: Self.rules).redact(raw).0
        XCTAssertTrue(redacted.sessions[0].exchanges[1].request.body?.text?.contains("redacted:") ?? false)
        let (_, unbound) = try SecretBinder(bindings: [], rules: Self.rules).bind(redacted)
        XCTAssertNil(unbound["s1"], "the target issues a new refresh token on replay (token chaining): nothing to bind")
    }
}
