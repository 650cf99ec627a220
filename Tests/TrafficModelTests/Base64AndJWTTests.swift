import TestSupport
import XCTest
@testable import TrafficModel

final class Base64AndJWTTests: XCTestCase {
    func testBase64RoundTripAndRejects() {
        var rng = SplitMix64(seed: 1)
        for n in 0..<64 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.decode(Base64.encode(bytes, url: true, padding: false)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(Base64.encode(Array("fo".utf8)), "Zm8=")
        XCTAssertNil(Base64.decode("a"))
        XCTAssertNil(Base64.decode("ab!c"))
        XCTAssertNil(Base64.decode("ab=c"))
    }

    /// What `decode` decides itself: Foundation's decoder alone takes an `=`
    /// inside the text and surplus padding, and refuses unpadded text and the
    /// URL alphabet, all of which JWTs and recordings need the other way.
    func testBase64DecodeRulesAroundFoundation() {
        XCTAssertEqual(Base64.decode("Zm8"), Array("fo".utf8))
        XCTAssertEqual(Base64.decode("Zm8="), Array("fo".utf8))
        XCTAssertEqual(Base64.decode("Zg"), Array("f".utf8))
        XCTAssertEqual(Base64.decode("-_+/"), [0xFB, 0xFF, 0xBF], "both alphabets, even mixed")
        XCTAssertEqual(Base64.decode(""), [])
        for bad in ["Zm8==", "Zg=", "Zg===", "=", "==", "====", "ab=c", "Zm9v=YmFy", "Zm9v YmFy", "Zm8=\n", " Zm8=", "Zm9vé", "Zm9v\u{0}"] {
            XCTAssertNil(Base64.decode(bad), bad.debugDescription)
        }
    }

    /// The in-place encoder against the plain bit-by-bit definition, every
    /// remainder, both alphabets, with and without padding.
    func testBase64EncodeMatchesTheDefinition() {
        func reference(_ bytes: [UInt8], url: Bool, padding: Bool) -> String {
            let alphabet = Array((url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
            let bits = bytes.flatMap { b in (0..<8).map { (b >> (7 - $0)) & 1 } }
            var out = ""
            for start in stride(from: 0, to: bits.count, by: 6) {
                let six = (0..<6).map { start + $0 < bits.count ? bits[start + $0] : 0 }
                out.append(alphabet[Int(six.reduce(0) { $0 << 1 | $1 })])
            }
            while padding && out.count % 4 != 0 { out += "=" }
            return out
        }
        var rng = SplitMix64(seed: 3)
        for n in 0..<40 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for url in [false, true] {
                for padding in [false, true] {
                    XCTAssertEqual(Base64.encode(bytes, url: url, padding: padding), reference(bytes, url: url, padding: padding), "\(n) \(url) \(padding)")
                    XCTAssertEqual(Base64.encode(bytes[...], url: url, padding: padding), reference(bytes, url: url, padding: padding))
                }
            }
        }
    }

    static let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6MTAwMCwiZXhwIjo0NjAwLCJuYmYiOjEwMDB9.c2lnbmF0dXJl"

    func testDecodesJWTAndJudgesTimesAtTheMomentOfUse() throws {
        let jwt = try XCTUnwrap(JWT(Self.token))
        XCTAssertEqual(jwt.algorithm, "HS256")
        XCTAssertEqual(jwt.claims["sub"]?.stringValue, "alice")
        let info = jwt.info(at: 1060)
        XCTAssertEqual(info.expiresIn, 3540)
        XCTAssertEqual(info.issuedAgo, 60)
        XCTAssertEqual(info.notBeforeIn, -60)
        XCTAssertEqual(Timeline.relative(info.expiresIn!), "+59m")
        XCTAssertEqual(jwt.compact, Self.token)
    }

    func testRejectsNonJWTs() {
        for s in ["abc.def.ghi", "eyJhbGciOiJIUzI1NiJ9.notjson.sig", "a.b", Self.token + ".x", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhIn0.sig"] {
            XCTAssertNil(JWT(s), s)
        }
    }

    func testFindsJWTsInsideText() {
        let text = "v1, authorization.bearer.\(Self.token), other"
        XCTAssertEqual(JWT.findAll(in: text).map(\.compact), [Self.token])
        XCTAssertEqual(JWT.findAll(in: "no tokens here").count, 0)
    }

    /// `JWT.init` splits by bytes; it must accept exactly what splitting
    /// Characters accepted, non-ASCII and "\r\n" included.
    func testSplittingBytesAcceptsWhatSplittingCharactersDid() {
        func reference(_ token: String) -> Bool {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count >= 4, parts[1].count >= 2,
                  let header = Base64.decode(parts[0]), let claims = Base64.decode(parts[1]),
                  parts[2].isEmpty || Base64.decode(parts[2]) != nil,
                  let h = try? JSONParser.parse(header), case .object = h, h["alg"]?.stringValue != nil,
                  let c = try? JSONParser.parse(claims), case .object = c
            else { return false }
            return true
        }
        let parts = ["eyJhbGciOiJub25lIn0", "eyJzdWIiOiJ4In0", "sig", "ab", ""]
        let junk = [".", "\r\n", "\r", "\n", "\u{301}", "é", "\u{600}", "=", "a"]
        var rng = SplitMix64(seed: 5)
        var accepted = 0
        for _ in 0..<4000 {
            var pieces = (0..<3).map { _ in parts.randomElement(using: &rng)! }
            // Mostly one junk piece somewhere, so most tokens are near misses.
            if Int.random(in: 0..<4, using: &rng) > 0 {
                let k = Int.random(in: 0..<3, using: &rng)
                let j = junk.randomElement(using: &rng)!
                pieces[k] = Bool.random(using: &rng) ? j + pieces[k] : pieces[k] + j
            }
            let text = pieces.joined(separator: ".")
            XCTAssertEqual(JWT(text) != nil, reference(text), text.debugDescription)
            XCTAssertEqual(JWT(text[...]) != nil, reference(text), text.debugDescription)
            if JWT(text) != nil { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 20)
    }

    /// Redaction's text pass skips tokens with a redacted signature without
    /// decoding them; it must find every other token the full search finds.
    func testSkippingRedactedTokensFindsTheSameOthers() {
        let redacted = Redactor().redact(value: SecretFixtures.accessToken)
        let pieces = [
            SecretFixtures.accessToken, SecretFixtures.otherToken, redacted, "eyJhbGciOiJub25lIn0", "eyJ", ".", "..", " ", "x",
            Pseudonymizer.signaturePrefix, Pseudonymizer.signaturePrefix + "abc", "eyJzdWIiOiJ4In0", "authorization.bearer.",
        ]
        var rng = SplitMix64(seed: 21)
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 1...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let all = JWT.findAll(in: text).filter { !Pseudonymizer.isRedactedSignature($0.encodedSignature) }
            XCTAssertEqual(JWT.findAll(in: text, skippingRedacted: true), all, text)
        }
    }

    func testISO8601() throws {
        let t = try XCTUnwrap(Timestamp(iso8601: "2026-11-25T06:00:00.123456Z"))
        XCTAssertEqual(t.iso8601, "2026-11-25T06:00:00.123456Z")
        XCTAssertEqual(Timestamp(iso8601: "1970-01-01T00:00:00Z")?.microseconds, 0)
        XCTAssertEqual(Timestamp(iso8601: "1970-01-01T01:00:00+01:00")?.microseconds, 0)
        XCTAssertEqual(Timestamp(microseconds: -1).iso8601, "1969-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp(iso8601: "2000-02-29T12:34:56.5Z")?.iso8601, "2000-02-29T12:34:56.500000Z")
        for bad in ["2026-13-01T00:00:00Z", "2026-11-25 06:00", "2026-11-25T06:00:00", "x"] {
            XCTAssertNil(Timestamp(iso8601: bad), bad)
        }
    }
}

final class HMACJWTVerifierTests: XCTestCase {
    /// The seed's token, signed with the staging test key (before redaction).
    static let seedToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImVtYWlsIjoiYWxpY2VAZXhhbXBsZS5jb20iLCJyb2xlIjoidXNlciIsImlhdCI6MTc2NDA1MDQwMCwiZXhwIjoxNzY0MDU0MDAwLCJpc3MiOiJzdGFnaW5nLWF1dGgifQ.dalwi7f0yJCI7qHRjlzxSkLxyE4oyioxEHSG1u_0OCU"

    func testVerifiesTheSeedToken() throws {
        let jwt = try XCTUnwrap(JWT(Self.seedToken))
        XCTAssertEqual(HMACJWTVerifier(secret: Array("staging-test-secret-0123456789abcdef".utf8)).verify(jwt), .valid)
        XCTAssertEqual(HMACJWTVerifier(secret: Array("another-secret-0123456789abcdefghij".utf8)).verify(jwt), .invalid)
        var tampered = jwt
        tampered.encodedSignature = String(jwt.encodedSignature.reversed())
        XCTAssertEqual(HMACJWTVerifier(secret: Array("staging-test-secret-0123456789abcdef".utf8)).verify(tampered), .invalid)
    }

    /// HS384 and HS512 with a one-byte key, signed by Python's `hmac`; a
    /// signature cut short or of another algorithm's length is invalid.
    func testVerifiesHS384AndHS512() throws {
        let tokens = [
            "eyJhbGciOiJIUzM4NCJ9.eyJzdWIiOiJib2IifQ.4M_TETB2uoh_phNOl8ev2c400YMBUVyiDfT_6-Bc2UIZ5dfxwg-qrTHIf5Bx4DiL",
            "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJib2IifQ.xYA-HjOHYWtKTmRfkoGoQShq30njU70f-vsAjo6yda9-tz0GefoCMSZBLY5Tb7ztVUovsJQsc2hKCDe_Y5_VQA",
        ]
        let verifier = HMACJWTVerifier(secret: Array("k".utf8))
        for token in tokens {
            var jwt = try XCTUnwrap(JWT(token))
            XCTAssertEqual(verifier.verify(jwt), .valid, token)
            XCTAssertEqual(HMACJWTVerifier(secret: Array("K".utf8)).verify(jwt), .invalid, token)
            jwt.encodedSignature = String(jwt.encodedSignature.dropLast(4))
            XCTAssertEqual(verifier.verify(jwt), .invalid, token)
        }
    }
}
