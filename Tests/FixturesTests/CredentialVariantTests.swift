import Fixtures
import TrafficModel
import XCTest

final class CredentialVariantTests: XCTestCase {
    let secret = Array("a-test-secret-of-at-least-32-bytes!".utf8)
    let now = 1_800_000_000.0
    var key: HMACKey { HMACKey(secret: secret) }
    var verifier: HMACJWTVerifier { HMACJWTVerifier(secret: secret) }

    /// A valid HS256 token, live for an hour from `now - 60`.
    var token: String {
        let header = JWT.encode(.object([("alg", .string("HS256")), ("typ", .string("JWT"))]))
        let claims = JWT.encode(.object([("sub", .string("alice")), ("aud", .string("api")), ("iss", .string("staging-auth")), ("iat", .int(Int(now) - 60)), ("exp", .int(Int(now) + 3600))]))
        let signature = HMACAlgorithm.hs256.authenticationCode(Array("\(header).\(claims)".utf8), key: secret)
        return "\(header).\(claims).\(Base64.encode(signature, url: true, padding: false))"
    }

    func variant(_ v: CredentialVariant) throws -> JWT {
        try XCTUnwrap(JWT(try XCTUnwrap(v.value(replacing: token, key: key, now: now))), "\(v)")
    }

    func testSignedClaimVariantsAreValidlySignedAndWrongOnlyInTheirClaim() throws {
        XCTAssertEqual(verifier.verify(try XCTUnwrap(JWT(token))), .valid)
        let expired = try variant(.expired)
        XCTAssertEqual(verifier.verify(expired), .valid)
        XCTAssertLessThan(try XCTUnwrap(expired.numericDate("exp")), now)
        XCTAssertLessThan(try XCTUnwrap(expired.numericDate("iat")), try XCTUnwrap(expired.numericDate("exp")))

        let early = try variant(.notYetValid)
        XCTAssertEqual(verifier.verify(early), .valid)
        XCTAssertGreaterThan(try XCTUnwrap(early.numericDate("nbf")), now)
        XCTAssertGreaterThan(try XCTUnwrap(early.numericDate("exp")), try XCTUnwrap(early.numericDate("nbf")))

        let aud = try variant(.wrongAudience)
        XCTAssertEqual(aud.claims["aud"]?.stringValue, CredentialVariant.wrongAudienceValue)
        XCTAssertEqual(aud.claims["sub"]?.stringValue, "alice", "other claims kept")
        XCTAssertEqual(verifier.verify(aud), .valid)
        XCTAssertEqual(try variant(.wrongIssuer).claims["iss"]?.stringValue, CredentialVariant.wrongIssuerValue)
        XCTAssertEqual(try variant(.otherSubject).claims["sub"]?.stringValue, CredentialVariant.otherSubjectValue)
        XCTAssertEqual(try variant(.otherSubject).header["typ"]?.stringValue, "JWT", "header members kept")
    }

    func testUnsignedVariantsNeedNoKey() throws {
        let original = try XCTUnwrap(JWT(token))
        let bad = try XCTUnwrap(JWT(try XCTUnwrap(CredentialVariant.badSignature.value(replacing: token, key: nil, now: now))))
        XCTAssertEqual(bad.signingInput, original.signingInput)
        XCTAssertEqual(bad.encodedSignature.count, original.encodedSignature.count)
        XCTAssertEqual(verifier.verify(bad), .invalid)

        let none = try XCTUnwrap(JWT(try XCTUnwrap(CredentialVariant.algNone.value(replacing: token, key: nil, now: now))))
        XCTAssertEqual(none.algorithm, "none")
        XCTAssertEqual(none.encodedSignature, "")
        XCTAssertEqual(none.claims, original.claims)

        let malformed = try XCTUnwrap(CredentialVariant.malformed.value(replacing: token, key: nil, now: now))
        XCTAssertNil(JWT(malformed))
        XCTAssertNil(CredentialVariant.missing.value(replacing: token, key: key, now: now))
        XCTAssertNil(CredentialVariant.expired.value(replacing: token, key: nil, now: now), "signed variants need the key")
        XCTAssertNil(CredentialVariant.expired.value(replacing: "not-a-jwt", key: key, now: now))
    }

    func testApplicableVariants() {
        XCTAssertEqual(CredentialVariant.applicable(to: .jwt, withKey: true), CredentialVariant.allCases)
        XCTAssertEqual(CredentialVariant.applicable(to: .jwt, withKey: false), [.badSignature, .algNone, .missing, .malformed])
        XCTAssertEqual(CredentialVariant.applicable(to: .cookie, withKey: true), [.missing, .malformed])
    }

    func request(_ headers: [HeaderField], target: String = "/ws") -> HTTPRequest {
        HTTPRequest(at: 0, method: "GET", target: target, version: "HTTP/1.1", headers: headers)
    }

    func testEditsEachLocation() throws {
        let edit = CredentialEdit()
        let bearer = request([HeaderField("Host", "x"), HeaderField("Authorization", "Bearer \(token)")])
        let expired = try XCTUnwrap(edit.apply(.expired, at: "header:Authorization", to: bearer, key: key, now: now))
        let sent = try XCTUnwrap(expired.headers.first("Authorization"))
        XCTAssertTrue(sent.hasPrefix("Bearer "))
        XCTAssertLessThan(try XCTUnwrap(JWT(sent.dropFirst(7))?.numericDate("exp")), now)
        let missing = try XCTUnwrap(edit.apply(.missing, at: "header:Authorization", to: bearer, key: nil, now: now))
        XCTAssertNil(missing.headers.first("Authorization"))
        XCTAssertEqual(missing.headers.first("Host"), "x")
        XCTAssertNil(edit.apply(.missing, at: "header:X-Api-Key", to: bearer, key: nil, now: now), "nothing presented there")

        let cookies = request([HeaderField("Cookie", "theme=dark; session=\(token)")])
        let noSession = try XCTUnwrap(edit.apply(.missing, at: "cookie:session", to: cookies, key: nil, now: now))
        XCTAssertEqual(noSession.headers.first("Cookie"), "theme=dark")

        let query = request([], target: "/ws?room=1&token=\(token)")
        let none = try XCTUnwrap(edit.apply(.algNone, at: "query:token", to: query, key: nil, now: now))
        XCTAssertTrue(none.target.hasPrefix("/ws?room=1&token="))
        XCTAssertEqual(JWT(String(none.target.split(separator: "=").last ?? ""))?.algorithm, "none")
        XCTAssertEqual(try XCTUnwrap(edit.apply(.missing, at: "query:token", to: query, key: nil, now: now)).target, "/ws?room=1")

        let subprotocol = request([HeaderField("Sec-WebSocket-Protocol", "chat, \(token)")])
        XCTAssertEqual(try XCTUnwrap(edit.apply(.missing, at: "header:Sec-WebSocket-Protocol", to: subprotocol, key: nil, now: now)).headers.first("Sec-WebSocket-Protocol"), "chat")

        let basic = request([HeaderField("Authorization", "Basic YWxpY2U6c2VjcmV0")])
        let garbled = try XCTUnwrap(edit.apply(.malformed, at: "header:Authorization", to: basic, key: nil, now: now))
        XCTAssertTrue(try XCTUnwrap(garbled.headers.first("Authorization")).hasPrefix("Basic "))
        XCTAssertNotEqual(garbled.headers.first("Authorization"), "Basic YWxpY2U6c2VjcmV0")
    }
}

extension CredentialVariantTests {
    func testEditsACredentialInsideAMessage() throws {
        let edit = CredentialEdit()
        let auth = WebSocketMessage(direction: .client, at: 0, opcode: .text, payload: .text(#"{"type":"auth","token":"\#(token)","room":1}"#))
        let none = try XCTUnwrap(edit.apply(.algNone, at: "message:$.token", to: auth, key: nil, now: now))
        let sent = try XCTUnwrap(JSONParser.parse(try XCTUnwrap(none.payload.text))["token"]?.stringValue)
        XCTAssertEqual(JWT(sent)?.algorithm, "none")
        let missing = try XCTUnwrap(edit.apply(.missing, at: "message:$.token", to: auth, key: nil, now: now))
        XCTAssertEqual(missing.payload.text, #"{"type":"auth","room":1}"#)
        XCTAssertNil(missing.frames, "one plain frame: the length changed")

        let init_ = WebSocketMessage(direction: .client, at: 0, opcode: .text, payload: .text(#"{"type":"connection_init","payload":{"authorization":"Bearer \#(token)"}}"#))
        let gone = try XCTUnwrap(edit.apply(.missing, at: "message:$.payload.authorization", to: init_, key: nil, now: now))
        XCTAssertEqual(gone.payload.text, #"{"type":"connection_init","payload":{}}"#)
        let socketIO = WebSocketMessage(direction: .client, at: 0, opcode: .text, payload: .text(#"40{"token":"\#(token)"}"#))
        XCTAssertEqual(try XCTUnwrap(edit.apply(.missing, at: "message:40$.token", to: socketIO, key: nil, now: now)).payload.text, "40{}")
        XCTAssertNil(edit.apply(.missing, at: "message:$.jwt", to: auth, key: nil, now: now), "nothing there")
    }
}

/// An HS256 key for the tests (the CLI's is `HMACSigningKey` in Replay).
struct HMACKey: JWTSigningKey {
    var secret: [UInt8]
    var defaultAlgorithm: String { "HS256" }
    func signs(_ algorithm: String) -> Bool { algorithm == "HS256" }
    func sign(_ input: [UInt8], algorithm: String) -> [UInt8] { HMACAlgorithm.hs256.authenticationCode(input, key: secret) }
}
