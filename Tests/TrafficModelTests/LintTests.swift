import XCTest
@testable import TrafficModel

final class LintTests: XCTestCase {
    private func described(_ findings: [LintFinding]) -> Set<String> {
        Set(findings.map { "\($0.session) \($0.part) \($0.field) \($0.kind.rawValue)" })
    }

    func testFindsEveryPlantedSecretWithItsLocation() {
        let findings = described(SecretLinter().lint(SecretFixtures.recording()))
        let expected: Set<String> = [
            "s1 exchange 0 request body:password password",
            "s1 exchange 0 request body:client_secret password",
            "s1 exchange 0 response set-cookie:session high-entropy",
            "s1 exchange 0 response body:$.access_token jwt-signature",
            "s1 exchange 0 response body:$.refresh_token high-entropy",
            "s1 exchange 0 response body:$.note aws-access-key-id",
            "s1 exchange 1 request query:api_key high-entropy",
            "s1 exchange 1 request header:Authorization jwt-signature",
            "s1 exchange 1 request cookie:session high-entropy",
            "s1 exchange 1 request header:X-Api-Key high-entropy",
            "s1 exchange 1 response body:$.key private-key",
            "s1 exchange 1 response body:$.gh github-token",
            "s1 exchange 1 response body:$.slack slack-token",
            "s1 exchange 1 response body:$.google google-api-key",
            "s1 exchange 2 request header:Authorization basic-credentials",
            "s1 anomaly 0 header:Authorization bearer-token",
            "s2 exchange 0 request query:token jwt-signature",
            "s2 exchange 0 request header:Sec-WebSocket-Protocol jwt-signature",
            "s2 websocket message 0 payload:$.token high-entropy",
            "s2 websocket message 0 payload:$.jwt jwt-signature",
            "s2 websocket message 1 payload jwt-signature",
        ]
        XCTAssertEqual(findings.subtracting(expected), [], "unexpected")
        XCTAssertEqual(expected.subtracting(findings), [], "missed")
        // A bearer token that is not a JWT, and the text of a finding.
        var recording = SecretFixtures.recording()
        recording.sessions[0].exchanges[2].request.headers = [HeaderField("Authorization", "Bearer opaque-but-real")]
        let bearer = SecretLinter().lint(recording).first { $0.part == .request(exchange: 2) }
        XCTAssertEqual(bearer?.kind, .bearerToken)
        XCTAssertEqual(bearer?.description, "session s1, exchange 2 request, header:Authorization: Authorization credential not redacted (bearer-token)")
    }

    func testNeverReportsTheValues() {
        let text = SecretLinter().lint(SecretFixtures.recording()).map(\.description).joined(separator: "\n")
        for secret in SecretFixtures.secrets { XCTAssertFalse(text.contains(secret)) }
    }

    func testARedactedRecordingIsClean() {
        let (redacted, _) = Redactor().redact(SecretFixtures.recording())
        XCTAssertEqual(SecretLinter().lint(redacted), [])
        let withClaims = Redactor(rules: RedactionRules.default.addingClaims(["email"])).redact(SecretFixtures.recording()).0
        XCTAssertEqual(SecretLinter().lint(withClaims), [])
    }

    func testPlainValuesInCredentialPositionsAreNotSecrets() {
        let request = HTTPRequest(
            at: 0, method: "GET", target: "/x?token=&key=en&page=1",
            headers: [HeaderField("Cookie", "theme=dark; lang=en"), HeaderField("X-Api-Key", "demo")],
            body: .text(#"{"token_type":"Bearer","token":"short","password":""}"#)
        )
        let recording = Recording(
            source: Source(kind: .handWritten, name: "plain", tool: "tests"), capturedAt: Timestamp(seconds: 0),
            sessions: [Session(id: "p", client: Endpoint(host: "a", port: 1), server: Endpoint(host: "b", port: 2), start: 0,
                               exchanges: [HTTPExchange(request: request, response: nil)])]
        )
        XCTAssertEqual(SecretLinter().lint(recording), [])
    }

    /// Shannon entropy over libm's `log2`: exact at powers of two, where
    /// `looksRandom`'s threshold of 3 bits lies.
    func testEntropyBitsPerCharacter() {
        XCTAssertEqual(Entropy.bitsPerCharacter(""), 0)
        XCTAssertEqual(Entropy.bitsPerCharacter("aaaa"), 0)
        XCTAssertEqual(Entropy.bitsPerCharacter("abcdefghabcdefgh"), 3)
        XCTAssertEqual(Entropy.bitsPerCharacter("aab"), 0.9182958340544896, accuracy: 1e-15)
        XCTAssertTrue(Entropy.looksRandom("abcdefghabcdefgh"))
        XCTAssertFalse(Entropy.looksRandom("abcdefgabcdefgab"), "7 letters: under 3 bits")
    }

    func testShippedRecordingsLintCleanAfterRedaction() throws {
        let dir = "\(repositoryRoot)/recordings"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let recording = try RecordingCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)"))))
            let (redacted, _) = Redactor().redact(recording)
            let findings = SecretLinter().lint(try RecordingCodec.decode(RecordingCodec.encodeBytes(redacted)))
            XCTAssertEqual(findings.map(\.description), [], file)
        }
        // Shipped recordings are committed redacted: clean as they are.
        for file in files {
            let recording = try RecordingCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)"))))
            XCTAssertEqual(recording.redaction?.enabled, true, file)
            XCTAssertEqual(SecretLinter().lint(recording).map(\.description), [], file)
        }
    }
}
