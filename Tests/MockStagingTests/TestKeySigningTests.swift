import MockStaging
import TrafficModel
import XCTest

/// `serve --sign-key`: what the mock hands out is signed with the test key
/// at shifted times, what clients send back is judged as the recorded
/// service judged it. Pure decisions (`MockReplay.handle`), a fixed wall clock.
final class TestKeySigningTests: XCTestCase {
    static let epoch = 1_764_050_400.0
    static let issuer = "https://idp.example.com"
    static let secret = Array("test-key-secret-0123456789abcdefghij".utf8)
    static let wall = 2_000_000_000.0

    /// A JWT signed by the recorded service (its signature is just bytes here).
    static func recordedJWT(sub: String = "alice", aud: String = "api", iat: Int = 1_764_050_401, exp: Int = 1_764_050_701, kid: String = "staging-1") -> String {
        let header = #"{"alg":"RS256","kid":"\#(kid)","typ":"at+jwt"}"#
        let claims = #"{"iss":"\#(issuer)","sub":"\#(sub)","aud":"\#(aud)","iat":\#(iat),"exp":\#(exp),"scope":"openid"}"#
        return [header, claims].map { Base64.encode(Array($0.utf8), url: true, padding: false) }.joined(separator: ".") + ".c2lnbmVkLWJ5LXN0YWdpbmc"
    }

    static let access = recordedJWT()
    static let idToken = recordedJWT(aud: "spa")
    static let forged = recordedJWT(sub: "mallory")
    static let wrongAudience = recordedJWT(aud: "billing")
    static let expired = recordedJWT(iat: 1_764_040_000, exp: 1_764_040_300)

    static func recording() -> Recording {
        let json = [HeaderField("Content-Type", "application/json")]
        func me(_ id: String, _ at: Double, _ token: String?, _ status: Int, _ body: String) -> Session {
            TestRecordings.session(id, start: at, [HTTPExchange(
                request: TestRecordings.request(at, "GET", "/me", headers: token.map { [HeaderField("Authorization", "Bearer \($0)")] } ?? []),
                response: TestRecordings.response(at + 0.01, status, status == 200 ? "OK" : "Unauthorized", headers: json, body: body)
            )])
        }
        let discovery = #"{"issuer":"\#(issuer)","jwks_uri":"\#(issuer)/keys","token_endpoint":"\#(issuer)/token"}"#
        return Recording(
            source: Source(kind: .handWritten, name: "oidc", tool: "tests"), capturedAt: Timestamp(seconds: epoch),
            sessions: [
                TestRecordings.session("s1", start: 0.5, [HTTPExchange(
                    request: TestRecordings.request(0.5, "GET", "/.well-known/openid-configuration"),
                    response: TestRecordings.response(0.51, 200, "OK", headers: json, body: discovery)
                )]),
                TestRecordings.session("s2", start: 1, [
                    HTTPExchange(
                        request: TestRecordings.request(1, "POST", "/token", body: "grant_type=password&username=alice"),
                        response: TestRecordings.response(1.01, 200, "OK", headers: json + [HeaderField("Set-Cookie", "id_token=\(idToken); Path=/; Secure")],
                                                          body: #"{"access_token":"\#(access)","id_token":"\#(idToken)","token_type":"Bearer"}"#)
                    ),
                    HTTPExchange(
                        request: TestRecordings.request(1.2, "POST", "/token", headers: [HeaderField("Accept", "application/x-www-form-urlencoded")],
                                                        body: "grant_type=password&username=alice"),
                        response: TestRecordings.response(1.21, 200, "OK", headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded")],
                                                          body: "access_token=\(access)&token_type=bearer")
                    ),
                ]),
                me("s3", 2, access, 200, #"{"sub":"alice"}"#),
                me("s4", 3, forged, 401, #"{"error":"invalid_token","error_description":"bad signature"}"#),
                me("s5", 4, wrongAudience, 401, #"{"error":"invalid_token","error_description":"wrong audience"}"#),
                me("s6", 5, expired, 401, #"{"error":"invalid_token","error_description":"token expired"}"#),
                me("s7", 6, nil, 401, #"{"error":"invalid_request"}"#),
            ]
        )
    }

    static func replay(issuer: String? = nil, key: any JWTSigningKey = HMACSigningKey(algorithm: .hs256, secret: secret)) -> MockReplay {
        let signing = TestKeySigning(key: key, verifier: HMACJWTVerifier(secret: secret), issuer: issuer)
        return MockReplay(named: [("oidc.json", recording())], configuration: MockStagingServer.Configuration(signing: signing))
    }

    static func respond(_ replay: inout MockReplay, _ request: HTTPRequest, now: Double = wall) -> ReplayedResponse? {
        guard case .respond(let response, _) = replay.handle(request, now: now, canUpgrade: false) else { return nil }
        return response
    }

    static func me(_ token: String?) -> HTTPRequest {
        TestRecordings.request(0, "GET", "/me", headers: token.map { [HeaderField("Authorization", "Bearer \($0)")] } ?? [])
    }

    /// A token made with the test key, as a test suite holding it would.
    static func minted(sub: String = "alice", aud: String = "api", iss: String = issuer, iat: Int, exp: Int, keyID: String = HMACSigningKey.keyID) -> String {
        let header = #"{"alg":"HS256","kid":"\#(keyID)"}"#
        let claims = #"{"iss":"\#(iss)","sub":"\#(sub)","aud":"\#(aud)","iat":\#(iat),"exp":\#(exp)}"#
        let input = [header, claims].map { Base64.encode(Array($0.utf8), url: true, padding: false) }.joined(separator: ".")
        let signature = HMACAlgorithm.hs256.authenticationCode(Array(input.utf8), key: secret)
        return input + "." + Base64.encode(signature, url: true, padding: false)
    }

    private func login(_ replay: inout MockReplay) throws -> (response: ReplayedResponse, access: JWT, idToken: JWT) {
        let response = try XCTUnwrap(Self.respond(&replay, TestRecordings.request(0, "POST", "/token", body: "grant_type=password&username=alice")))
        let body = try JSONParser.parse(String(decoding: response.body, as: UTF8.self))
        let access = try XCTUnwrap(body["access_token"]?.stringValue.flatMap { JWT($0) })
        let idToken = try XCTUnwrap(body["id_token"]?.stringValue.flatMap { JWT($0) })
        return (response, access, idToken)
    }

    func testHandsOutEveryTokenSignedWithTheTestKeyAtTimesShiftedToNow() throws {
        var replay = Self.replay()
        let (response, access, idToken) = try login(&replay)
        let verifier = HMACJWTVerifier(secret: Self.secret)
        for jwt in [access, idToken] {
            XCTAssertEqual(verifier.verify(jwt), .valid)
            XCTAssertEqual(jwt.header["kid"]?.stringValue, HMACSigningKey.keyID)
            XCTAssertEqual(jwt.algorithm, "HS256")
            // Issued at epoch + 1, handed out at epoch + 1.01 in the recording, at `wall` now: the
            // shift is whole seconds rounded down, so iat lands just before now, never after.
            let iat = try XCTUnwrap(jwt.numericDate("iat"))
            XCTAssertLessThanOrEqual(iat, Self.wall)
            XCTAssertEqual(iat, Self.wall - 1)
            XCTAssertEqual(try XCTUnwrap(jwt.numericDate("exp")) - iat, 300, "the lifetime is kept")
            XCTAssertEqual(jwt.claims["iss"]?.stringValue, Self.issuer, "the recorded issuer by default")
        }
        XCTAssertEqual(access.header["typ"]?.stringValue, "at+jwt", "other header members are kept")
        XCTAssertEqual(access.claims["scope"]?.stringValue, "openid", "other claims are kept")
        let cookie = try XCTUnwrap(response.headers.first { $0.name == "Set-Cookie" }?.value)
        XCTAssertEqual(cookie, "id_token=\(idToken.compact); Path=/; Secure", "the Set-Cookie value is the same re-signed ID token")
        XCTAssertEqual(response.headers.first { $0.name == "Content-Length" }?.value, String(response.body.count))
    }

    func testFormEncodedAnswersAreResignedToo() throws {
        var replay = Self.replay()
        let request = TestRecordings.request(0, "POST", "/token", headers: [HeaderField("Accept", "application/x-www-form-urlencoded")],
                                             body: "grant_type=password&username=alice")
        let response = try XCTUnwrap(Self.respond(&replay, request))
        let pairs = try XCTUnwrap(CredentialLocator.formPairs(String(decoding: response.body, as: UTF8.self)))
        XCTAssertEqual(pairs.map(\.0), ["access_token", "token_type"], "the Accept header chose the form-encoded answer")
        let access = try XCTUnwrap(JWT(pairs[0].1))
        XCTAssertEqual(HMACJWTVerifier(secret: Self.secret).verify(access), .valid)
    }

    func testItsOwnTokensComeBackAsTheRecordedOnes() throws {
        var replay = Self.replay()
        let (_, access, _) = try login(&replay)
        let response = try XCTUnwrap(Self.respond(&replay, Self.me(access.compact)))
        XCTAssertEqual(response.status, 200)
        guard case .served(_, let reference, _, let authClass, _, _) = replay.journal.last else { return XCTFail("\(replay.journal)") }
        XCTAssertEqual(reference.session, "s3")
        XCTAssertEqual(authClass, .issued)
    }

    func testATamperedTokenNamingTheTestKeyGetsTheRecordedRejection() throws {
        var replay = Self.replay()
        let (_, access, _) = try login(&replay)
        // The claims changed (sub → mallory), the test key's signature kept.
        let claims = #"{"iss":"\#(Self.issuer)","sub":"mallory","aud":"api","iat":1,"exp":4000000000}"#
        let tampered = "\(access.encodedHeader).\(Base64.encode(Array(claims.utf8), url: true, padding: false)).\(access.encodedSignature)"
        let response = try XCTUnwrap(Self.respond(&replay, Self.me(tampered)))
        XCTAssertEqual(response.status, 401)
        guard case .served(_, let reference, _, let authClass, _, _) = replay.journal.last else { return XCTFail("\(replay.journal)") }
        XCTAssertEqual(authClass, .invalidSignature, "no --jwt-key needed: the token names the test key")
        XCTAssertEqual(reference.session, "s4", "the recorded forged-token answer")
    }

    func testTokensTheTestKeySignedAreJudgedByTheirClaimsAndTimes() throws {
        let now = Int(Self.wall)
        let cases: [(String, String, AuthClass, Int)] = [
            ("valid", Self.minted(iat: now - 10, exp: now + 300), .issued, 200),
            ("wrong audience", Self.minted(aud: "billing", iat: now - 10, exp: now + 300), .unknown, 401),
            ("wrong issuer", Self.minted(iss: "https://evil.example.com", iat: now - 10, exp: now + 300), .unknown, 401),
            ("expired now, though not at the recorded moment", Self.minted(iat: now - 400, exp: now - 100), .expired, 401),
        ]
        for (name, token, expectedClass, status) in cases {
            var replay = Self.replay()
            let response = try XCTUnwrap(Self.respond(&replay, Self.me(token)), name)
            XCTAssertEqual(response.status, status, name)
            guard case .served(_, let reference, _, let authClass, _, _) = replay.journal.last else { return XCTFail("\(name): \(replay.journal)") }
            XCTAssertEqual(authClass, expectedClass, name)
            let session = [AuthClass.issued: "s3", .unknown: "s5", .expired: "s6"][expectedClass]
            XCTAssertEqual(reference.session, session, "\(name): the recorded answer for that class")
        }
    }

    func testDiscoveryNamesTheIssuerAndTheJWKSTheTestKey() throws {
        var replay = Self.replay(issuer: "https://127.0.0.1:8443/", key: PublishedKey())
        let discovery = try XCTUnwrap(Self.respond(&replay, TestRecordings.request(0, "GET", "/.well-known/openid-configuration")))
        let document = try JSONParser.parse(String(decoding: discovery.body, as: UTF8.self))
        XCTAssertEqual(document["issuer"]?.stringValue, "https://127.0.0.1:8443")
        XCTAssertEqual(document["jwks_uri"]?.stringValue, "https://127.0.0.1:8443/keys")
        XCTAssertEqual(document["token_endpoint"]?.stringValue, "https://127.0.0.1:8443/token")

        // The recording has no JWKS document; its jwks_uri still answers, as does the admin path.
        for path in ["/keys", "/__authreplay/jwks.json"] {
            let jwks = try XCTUnwrap(Self.respond(&replay, TestRecordings.request(0, "GET", path)))
            XCTAssertEqual(jwks.status, 200, path)
            let keys = try XCTUnwrap(JSONParser.parse(String(decoding: jwks.body, as: UTF8.self))["keys"]?.arrayValue, path)
            XCTAssertEqual(keys.count, 1, path)
            XCTAssertEqual(keys.first?["kid"]?.stringValue, PublishedKey.thumbprint, "\(path): the kid is the RFC 7638 thumbprint")
            XCTAssertEqual(keys.first?["n"]?.stringValue, PublishedKey.modulus, path)
        }

        // Tokens carry the new issuer and the thumbprint as kid.
        let (_, access, _) = try login(&replay)
        XCTAssertEqual(access.claims["iss"]?.stringValue, "https://127.0.0.1:8443")
        XCTAssertEqual(access.header["kid"]?.stringValue, PublishedKey.thumbprint)
        XCTAssertEqual(try XCTUnwrap(Self.respond(&replay, Self.me(access.compact))).status, 200, "and come back as the recorded ones")
    }

    func testTokensInServerWebSocketMessagesAreResignedAndMappedBack() throws {
        var replay = Self.replay()
        let recorded = TestRecordings.server(3.5, #"{"type":"token_refreshed","access_token":"\#(Self.access)"}"#)
        let sent = replay.signed(recorded, handedOutAt: Self.epoch + 3.5, now: Self.wall)
        let text = try XCTUnwrap(sent.payload.text)
        let token = try XCTUnwrap(JWT.findAll(in: text).first)
        XCTAssertEqual(HMACJWTVerifier(secret: Self.secret).verify(token), .valid)
        XCTAssertEqual(token.header["kid"]?.stringValue, HMACSigningKey.keyID)
        let echoed = replay.restore(TestRecordings.client(4, #"{"type":"auth","token":"\#(token.compact)"}"#))
        XCTAssertEqual(echoed.payload.text, #"{"type":"auth","token":"\#(Self.access)"}"#, "the client's copy maps back to the recorded token")
    }

    func testTheMintForgetsItsOldestTokensPastItsCapacity() throws {
        let signing = TestKeySigning(hmac: HMACSigningKey(algorithm: .hs256, secret: Self.secret))
        var mint = TokenMint(signing: signing, documents: KeyDocuments(recordings: []), capacity: 2)
        let answer = TestRecordings.response(1, 200, "OK", body: #"{"access_token":"\#(Self.access)"}"#)
        var minted: [String] = []
        for second in 0..<3 {
            let text = try XCTUnwrap(mint.mint(answer, handedOutAt: Self.epoch + 1, now: Self.wall + Double(second)).body?.text)
            minted.append(try XCTUnwrap(JWT.findAll(in: text).first).compact)
        }
        XCTAssertEqual(mint.count, 2)
        func restored(_ token: String) -> String? { mint.restore(Self.me(token)).headers.first { $0.name == "Authorization" }?.value }
        XCTAssertEqual(restored(minted[0]), "Bearer \(minted[0])", "the oldest is forgotten")
        XCTAssertEqual(restored(minted[2]), "Bearer \(Self.access)")
    }

    func testASecretIsNeverPublished() throws {
        var replay = Self.replay()
        let jwks = try XCTUnwrap(Self.respond(&replay, TestRecordings.request(0, "GET", "/__authreplay/jwks.json")))
        XCTAssertEqual(try JSONParser.parse(String(decoding: jwks.body, as: UTF8.self))["keys"]?.arrayValue?.count, 0)
    }

    func testWithoutATestKeyNothingChanges() throws {
        var replay = MockReplay(named: [("oidc.json", Self.recording())], configuration: MockStagingServer.Configuration())
        let response = try XCTUnwrap(Self.respond(&replay, TestRecordings.request(0, "POST", "/token", body: "grant_type=password&username=alice")))
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains(Self.access), "the recorded token as recorded")
    }
}

/// A key that publishes the RFC 7638 §3.1 example RSA key as its JWK and
/// signs with the tests' HMAC secret (what is checked here is the JWKS and
/// the kid; real RSA signing is the CLI's jwt-kit adapter, tested end to end).
struct PublishedKey: JWTSigningKey {
    static let modulus = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    static let thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

    var defaultAlgorithm: String { "HS256" }
    func signs(_ algorithm: String) -> Bool { algorithm == "HS256" }
    func sign(_ input: [UInt8], algorithm: String) -> [UInt8] { HMACAlgorithm.hs256.authenticationCode(input, key: TestKeySigningTests.secret) }
    var publicJWK: JSONValue? { .object([("kty", .string("RSA")), ("n", .string(Self.modulus)), ("e", .string("AQAB")), ("alg", .string("RS256"))]) }
}
