@testable import TrafficModel
import XCTest

/// The mock's test-key id and the one re-signer's header and claim changes.
final class JWKThumbprintTests: XCTestCase {
    /// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
    func testTheRFC7638Example() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        // Members in another order and extra ones (alg, kid) do not change it.
        let jwk = JSONValue.object([("alg", .string("RS256")), ("n", .string(n)), ("kid", .string("2011-04-29")), ("e", .string("AQAB")), ("kty", .string("RSA"))])
        XCTAssertEqual(JWKThumbprint.sha256(of: jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        XCTAssertNil(JWKThumbprint.sha256(of: .object([("kty", .string("RSA")), ("n", .string(n))])), "e is required")
        XCTAssertNil(JWKThumbprint.sha256(of: .object([("kty", .string("XYZ"))])))
    }

    func testResignSetsTheKeyIDAndReplacesClaimsKeepingTheRest() throws {
        let header = Base64.encode(Array(#"{"alg":"RS256","kid":"staging","typ":"at+jwt"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"iss":"https://a.example","sub":"alice","iat":100,"exp":400}"#.utf8), url: true, padding: false)
        let original = try XCTUnwrap(JWT("\(header).\(claims).c2ln"))
        let resigner = JWTResigner(algorithm: .hs256, secret: Array("secret".utf8))
        let resigned = try XCTUnwrap(JWT(resigner.resign(original, shift: 1000, keyID: "test-key", claims: ["iss": .string("https://b.example")])))
        XCTAssertEqual(JWTWriterView.members(resigned.header), ["alg", "kid", "typ"], "members keep their order")
        XCTAssertEqual(resigned.header["kid"]?.stringValue, "test-key")
        XCTAssertEqual(resigned.header["typ"]?.stringValue, "at+jwt")
        XCTAssertEqual(resigned.algorithm, "HS256")
        XCTAssertEqual(resigned.claims["iss"]?.stringValue, "https://b.example")
        XCTAssertEqual(resigned.claims["sub"]?.stringValue, "alice")
        XCTAssertEqual(resigned.numericDate("iat"), 1100)
        XCTAssertEqual(resigned.numericDate("exp"), 1400)
        XCTAssertEqual(HMACJWTVerifier(secret: Array("secret".utf8)).verify(resigned), .valid)
    }

    func testSigningSecretSpecs() throws {
        XCTAssertEqual(try HMACSigningKey(spec: "hs384:a:b", option: "--sign-secret", keyOption: "--sign-key").secret, Array("a:b".utf8))
        XCTAssertThrowsError(try HMACSigningKey(spec: "RS256:x", option: "--sign-secret", keyOption: "--sign-key")) {
            XCTAssertTrue("\($0)".contains("--sign-key PEM"), "\($0)")
        }
        XCTAssertThrowsError(try HMACSigningKey(spec: "HS256", option: "--sign-secret", keyOption: "--sign-key")) {
            XCTAssertTrue("\($0)".contains("\"--sign-secret\" takes ALG:SECRET"), "\($0)")
        }
    }
}

/// Member names of a JSON object, in order.
enum JWTWriterView {
    static func members(_ value: JSONValue) -> [String] {
        guard case .object(let members) = value else { return [] }
        return members.map(\.0)
    }
}
