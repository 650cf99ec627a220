import Foundation
import FoundationXML
@testable import Replay
import TrafficModel
import XCTest

final class HMACTests: XCTestCase {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// RFC 4231 test cases 1, 2, 4, 6 and 7 (6 and 7 use a 131-byte key, longer than the block).
    func testRFC4231Vectors() {
        let cases: [(key: [UInt8], data: [UInt8], sha256: String, sha384: String, sha512: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
             "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
             "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
             "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
             "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
            (bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
             "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
             "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
             "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
             "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
            ([UInt8](repeating: 0xaa, count: 131), Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
             "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
             "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"),
        ]
        for (i, c) in cases.enumerated() {
            XCTAssertEqual(hex(HMACAlgorithm.hs256.authenticationCode(c.data, key: c.key)), c.sha256, "case \(i) SHA-256")
            XCTAssertEqual(hex(HMACAlgorithm.hs384.authenticationCode(c.data, key: c.key)), c.sha384, "case \(i) SHA-384")
            XCTAssertEqual(hex(HMACAlgorithm.hs512.authenticationCode(c.data, key: c.key)), c.sha512, "case \(i) SHA-512")
        }
    }
}

final class JWTResignerTests: XCTestCase {
    func testResignShiftsTimesAsIntegersAndVerifies() throws {
        let original = try XCTUnwrap(JWT(StagingRecordings.recordedToken))
        let resigner = try JWTResigner(spec: "HS256:\(String(decoding: TestStagingServer.secret, as: UTF8.self))")
        let token = resigner.resign(original, shift: 1000)
        let jwt = try XCTUnwrap(JWT(token))
        XCTAssertEqual(jwt.encodedHeader, original.encodedHeader, "same algorithm: header kept byte for byte")
        XCTAssertEqual(jwt.claims["iat"], .number("1764051400"))
        XCTAssertEqual(jwt.claims["exp"], .number("1764055000"))
        XCTAssertEqual(jwt.claims["jti"], original.claims["jti"])
        XCTAssertEqual(jwt.claims.objectValue?.map(\.0), original.claims.objectValue?.map(\.0), "member order kept")
        XCTAssertEqual(Base64.decode(jwt.encodedSignature), HMACAlgorithm.hs256.authenticationCode(Array(jwt.signingInput.utf8), key: TestStagingServer.secret))
    }

    func testFractionalTimesBecomeIntegersAndAlgorithmIsRewritten() throws {
        let header = Base64.encode(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"sub":"bob","iat":1700000000.25,"exp":1700003600.75}"#.utf8), url: true, padding: false)
        let original = try XCTUnwrap(JWT("\(header).\(claims).c2ln"))
        let jwt = try XCTUnwrap(JWT(JWTResigner(algorithm: .hs512, secret: Array("k".utf8)).resign(original, shift: 0)))
        XCTAssertEqual(jwt.algorithm, "HS512")
        XCTAssertEqual(jwt.claims["iat"], .number("1700000000"))
        XCTAssertEqual(jwt.claims["exp"], .number("1700003601"))
    }

    func testSpecErrors() {
        XCTAssertThrowsError(try JWTResigner(spec: "HS256")) { XCTAssertTrue("\($0)".contains("ALG:SECRET"), "\($0)") }
        XCTAssertThrowsError(try JWTResigner(spec: "RS256:x")) { XCTAssertTrue("\($0)".contains("HS256, HS384, HS512"), "\($0)") }
        XCTAssertThrowsError(try JWTResigner(spec: "HS256:"))
        XCTAssertEqual((try JWTResigner(spec: "hs384:a:b").key as? HMACSigningKey)?.secret, Array("a:b".utf8))
        XCTAssertThrowsError(try JWTResigner(spec: "RS256:x")) { XCTAssertTrue("\($0)".contains("--resign-jwt-key"), "\($0)") }
    }

    /// A key that signs RS256 and PS384 (RS256 by default), marking signatures with the algorithm.
    struct FakeRSAKey: JWTSigningKey {
        var defaultAlgorithm: String { "RS256" }
        func signs(_ algorithm: String) -> Bool { ["RS256", "PS384"].contains(algorithm) }
        func sign(_ input: [UInt8], algorithm: String) -> [UInt8] { Array("\(algorithm):".utf8) + input.prefix(4) }
    }

    func testAKeyKeepsTheTokensAlgorithmWhenItSignsWithItElseUsesItsOwn() throws {
        let claims = Base64.encode(Array(#"{"sub":"bob","exp":1700003600}"#.utf8), url: true, padding: false)
        func token(_ alg: String) throws -> JWT {
            try XCTUnwrap(JWT("\(Base64.encode(Array(#"{"alg":"\#(alg)","kid":"k1"}"#.utf8), url: true, padding: false)).\(claims).c2ln"))
        }
        let resigner = JWTResigner(key: FakeRSAKey())
        let pss = try token("PS384")
        let kept = try XCTUnwrap(JWT(resigner.resign(pss, shift: 10)))
        XCTAssertEqual(kept.encodedHeader, pss.encodedHeader, "PS384 kept byte for byte")
        XCTAssertEqual(Base64.decode(kept.encodedSignature).map { String(decoding: $0.prefix(6), as: UTF8.self) }, "PS384:")
        XCTAssertEqual(kept.claims["exp"], .int(1_700_003_610))
        let hs = try XCTUnwrap(JWT(resigner.resign(try token("HS256"), shift: 0)))
        XCTAssertEqual(hs.algorithm, "RS256")
        XCTAssertEqual(hs.header["kid"]?.stringValue, "k1", "other header members kept")
        XCTAssertEqual(Base64.decode(hs.encodedSignature).map { String(decoding: $0.prefix(6), as: UTF8.self) }, "RS256:")
        // An HMAC key signs with exactly its algorithm.
        XCTAssertEqual(JWTResigner(algorithm: .hs256, secret: [1]).algorithm(for: try token("HS512")), "HS256")
    }

    func testOnlyTokensNotIssuedInTheRecordingAreResigned() throws {
        let target = ReplayTarget(host: "127.0.0.1", port: 9)
        let resigner = JWTResigner(algorithm: .hs256, secret: TestStagingServer.secret)
        let chained = try ReplayPlan.build([.init(name: "r", recording: StagingRecordings.loginThenWebSocket)], target: target)
        XCTAssertEqual(resigner.substitutions(for: chained, now: 2_000_000_000), [:])
        let external = try ReplayPlan.build([.init(name: "r", recording: StagingRecordings.webSocketOnly)], target: target)
        let subs = resigner.substitutions(for: external, now: 2_000_000_000)
        XCTAssertEqual(Array(subs.keys), [StagingRecordings.recordedToken])
        let shift = 2_000_000_000 - Int((StagingRecordings.capturedAt.seconds + 1.101).rounded())
        XCTAssertEqual(JWT(subs.values.first!)?.claims["iat"], .int(1_764_050_400 + shift))
    }
}

final class ReplayPlanTests: XCTestCase {
    let target = ReplayTarget(host: "127.0.0.1", port: 8080)

    func testStepsHostRewriteScriptAndClose() throws {
        let plan = try ReplayPlan.build([.init(name: "r", recording: StagingRecordings.loginThenWebSocket)], target: target)
        XCTAssertEqual(plan.sessions.map(\.name), ["s1", "s2"])
        XCTAssertEqual(plan.sessions[1].dependsOn, ["s1"])
        guard case .http(let login) = plan.sessions[0].steps[0], case .webSocket(let ws) = plan.sessions[1].steps[0] else {
            return XCTFail("unexpected steps")
        }
        XCTAssertEqual(login.request.headers.map(\.name), ["Host", "Content-Type", "Content-Length"])
        XCTAssertEqual(login.request.headers.first("Host"), "127.0.0.1:8080")
        XCTAssertEqual(ws.handshake.headers.map(\.name), ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Authorization"])
        let kinds = ws.script.map { item -> String in
            switch item {
            case .send(let m, let after): return "send \(m.opcode.rawValue) after \(after)"
            case .expect(let m): return "expect \(m.opcode.rawValue)"
            }
        }
        XCTAssertEqual(kinds, ["expect text", "send text after 1", "expect text", "send close after 2", "expect close"])
        XCTAssertEqual(ws.expectedClose, CloseOutcome(code: 1000, by: .client, frame: true))
        XCTAssertEqual(plan.issued.map(\.location), ["body:$.access_token"])
    }

    func testSelectionPullsInIssuersAndRejectsUnknownIds() throws {
        let input = ReplayPlan.Input(name: "r", recording: StagingRecordings.loginThenWebSocket)
        XCTAssertEqual(try ReplayPlan.build([input], sessions: ["s2"], target: target).sessions.map(\.name), ["s1", "s2"])
        XCTAssertEqual(try ReplayPlan.build([input], sessions: ["s1"], target: target).sessions.map(\.name), ["s1"])
        XCTAssertThrowsError(try ReplayPlan.build([input], sessions: ["s9"], target: target)) { error in
            XCTAssertEqual("\(error)", #"unknown session: no session "s9" in the recordings (sessions: s1, s2)"#)
        }
        let two = try ReplayPlan.build([input, .init(name: "b.json", recording: StagingRecordings.webSocketOnly)], sessions: ["b.json#ws"], target: target)
        XCTAssertEqual(two.sessions.map(\.name), ["b.json#ws"])
    }

    func testSessionsWithoutRequestsAreSkipped() throws {
        var recording = StagingRecordings.loginThenWebSocket
        recording.sessions.append(Session(id: "s3", client: Endpoint(host: "a", port: 1), server: Endpoint(host: "b", port: 2), start: 5))
        let plan = try ReplayPlan.build([.init(name: "r", recording: recording)], target: target)
        XCTAssertEqual(plan.skipped.map(\.name), ["s3"])
    }

    func testTargetParsing() throws {
        XCTAssertEqual(try ReplayTarget(url: "http://127.0.0.1:8000"), ReplayTarget(host: "127.0.0.1", port: 8000))
        XCTAssertEqual(try ReplayTarget(url: "http://[::1]:9/").authority, "[::1]:9")
        XCTAssertEqual(try ReplayTarget(url: "http://localhost").authority, "localhost")
        XCTAssertEqual(try ReplayTarget(url: "https://x:1"), ReplayTarget(host: "x", port: 1, tls: true))
        XCTAssertThrowsError(try ReplayTarget(url: "ftp://x:1")) { XCTAssertTrue("\($0)".contains("https://HOST:PORT"), "\($0)") }
        XCTAssertThrowsError(try ReplayTarget(url: "http://x:1/api"))
        XCTAssertThrowsError(try ReplayTarget(url: "localhost:80"))
    }
}

final class TokenChainTests: XCTestCase {
    func testLearnsLiveValuesAndFixesContentLength() {
        let recorded = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [HeaderField("Set-Cookie", "sid=recorded-session-1; Path=/")], body: .text(#"{"access_token":"recorded-access-token"}"#))
        let live = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [HeaderField("Set-Cookie", "sid=live-session-value-2; HttpOnly")], body: .text(#"{"access_token":"the-live-access-token-xyz"}"#))
        var chain = TokenChain()
        XCTAssertEqual(chain.learn(recorded: recorded, live: live), [])
        let body = #"{"token":"recorded-access-token"}"#
        let request = HTTPRequest(at: 0, method: "POST", target: "/refresh?t=recorded-access-token", headers: [
            HeaderField("cookie", "sid=recorded-session-1"), HeaderField("content-length", String(body.utf8.count)),
        ], body: .text(body))
        let out = chain.apply(to: request)
        XCTAssertEqual(out.target, "/refresh?t=the-live-access-token-xyz")
        XCTAssertEqual(out.headers, [HeaderField("cookie", "sid=live-session-value-2"), HeaderField("content-length", "37")])
        XCTAssertEqual(out.body, .text(#"{"token":"the-live-access-token-xyz"}"#))
    }

    func testMissingLiveCredentialIsANote() {
        let recorded = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [], body: .text(#"{"access_token":"recorded-access-token"}"#))
        let live = HTTPResponse(at: 0, status: 500, reason: "Oops", headers: [], body: .text(#"{"error":"x"}"#))
        var chain = TokenChain()
        XCTAssertEqual(chain.learn(recorded: recorded, live: live), ["the target issued no credential at body:$.access_token; the recorded value is sent instead"])
        XCTAssertEqual(chain.substitutions, [:])
    }
}

final class ReplayReportTests: XCTestCase {
    let results = [
        SessionResult(name: "s1", session: "s1", recording: "a.json", run: 1, verdict: .passed, seconds: 0.01),
        SessionResult(name: "s2", session: "s2", recording: "a.json", run: 1, verdict: .failed,
                      differences: [#"server message 1: $.type expected "connection_established", got "error_message" <&>"#, "close: expected close 1000 by the client, got close 1008 by the server"]),
        SessionResult(name: "s3", session: "s3", recording: "a.json", run: 1, verdict: .skipped, notes: ["no HTTP request was captured"]),
    ]

    func testSummaryAndExitCodes() {
        XCTAssertEqual(ReplayReport(results: results).summaryLine, "1 passed, 1 failed, 1 skipped")
        XCTAssertEqual(ReplayReport(results: results).exitCode, 1)
        XCTAssertEqual(ReplayReport(results: [results[0]]).summaryLine, "1 passed, 0 failed")
        XCTAssertEqual(ReplayReport(results: [results[0], results[2]]).exitCode, 0)
        XCTAssertEqual(ReplayReport(results: [results[2]]).exitCode, 2)
        XCTAssertEqual(ReplayReport(results: []).exitCode, 2)
        XCTAssertEqual(ReplayReport(results: results).lines.prefix(3), ["PASS s1", "FAIL s2", #"    server message 1: $.type expected "connection_established", got "error_message" <&>"#])
    }

    func testJUnitParsesAsXMLWithTheRightCounts() throws {
        let xml = ReplayReport(results: results).junitXML()
        let document = try XMLDocument(xmlString: xml, options: [])
        let suite = try XCTUnwrap(document.rootElement()?.elements(forName: "testsuite").first)
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "3")
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "1")
        XCTAssertEqual(suite.attribute(forName: "skipped")?.stringValue, "1")
        let cases = suite.elements(forName: "testcase")
        XCTAssertEqual(cases.map { $0.attribute(forName: "name")?.stringValue }, ["s1", "s2", "s3"])
        let failure = try XCTUnwrap(cases[1].elements(forName: "failure").first)
        XCTAssertEqual(failure.stringValue, results[1].differences.joined(separator: "\n"))
        XCTAssertEqual(cases[2].elements(forName: "skipped").count, 1)
        XCTAssertTrue(cases[0].children?.isEmpty ?? true)
    }
}

final class ReplayErrorTests: XCTestCase {
    func testDescriptionsReadAsBefore() {
        XCTAssertEqual(ReplayError(.invalidTarget, "\"ftp://x\" is not a URL").description, "invalid target: \"ftp://x\" is not a URL")
        XCTAssertEqual(ReplayError(.invalidKey, "x").description, "invalid re-signing key: x")
        XCTAssertEqual(ReplayError.tlsHandshakeTimeout(seconds: 2).description, "TLS handshake timed out after 2.0 s")
        XCTAssertEqual(
            ReplayError.tlsClosedDuringHandshake.description,
            "TLS handshake failed: the target closed the connection during the handshake")
        XCTAssertEqual(ReplayTLS.describe(ReplayError.tlsHandshakeTimeout(seconds: 1.5)), "TLS handshake timed out after 1.5 s")
        XCTAssertEqual(ReplayError(.invalidOption, "a"), ReplayError(.invalidOption, "b"))
    }
}
