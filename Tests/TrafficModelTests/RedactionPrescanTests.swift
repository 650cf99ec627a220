import TestSupport
import XCTest
@testable import TrafficModel

/// The prescan lets redaction skip values it cannot change; these tests show
/// that skipping never changes an output byte or a count.
final class RedactionPrescanTests: XCTestCase {
    /// Pieces that hit every rule, and near misses that must not.
    private static let names = [
        "type", "n", "body", "user_message", "password", "PassWord", "PASSWD", "pwd", "secret", "client_secret",
        "refresh_token", "Access_Token", "id_token", "token", "api_key", "apikey", "private_key", "session_token",
        "auth_token", "tokens", "passwords", "my_token", "pass\\u0077ord", "\\u0074oken", "api_\u{212A}ey", "to\u{212A}en",
        "ssn", "SSN", "pin-code", "päss", "tökén", "pass\\nword", "", "é", "\u{1F600}",
    ]

    private static let texts = [
        "xxxxxxxxxxxxxxxx", "hello world", "line\\nbreak", "quote \\\" inside", "caf\u{E9}", "\u{2019}curly\u{201C}",
        "\u{212A}elvin", "eyJ", "ey", "eyI", "AKIAIOSFODNN7EXAMPLE", "AKIA", "ASIA0123456789ABCDEF", "AIza" + String(repeating: "Sy_-9", count: 7),
        "AIz", "ghp_" + String(repeating: "aB3", count: 12), "gho_short", "ghx_" + String(repeating: "a", count: 40),
        "github_pat_" + String(repeating: "a1", count: 12), "github_", "xoxb-1234567890abc", "xoxz-1234567890", "xox",
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----", "-----",
        "redacted:0011223344556677", "Bearer abc", "_", "-", "A", "J", "\\u0041KIA", "a\\/b",
        SecretFixtures.accessToken, "Bearer " + SecretFixtures.otherToken, "prefix." + SecretFixtures.accessToken,
    ]

    private static func randomString(_ rng: inout SplitMix64, from pool: [String]) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 1...3, using: &rng) { s += pool.randomElement(using: &rng)! }
        return s
    }

    private static func randomJSON(_ rng: inout SplitMix64, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 7), using: &rng) {
        case 0: return "\"" + randomString(&rng, from: texts) + "\""
        case 1: return ["1", "-2.5e3", "true", "null", "0"].randomElement(using: &rng)!
        case 2: return "\"" + randomString(&rng, from: names) + "\""
        case 3: return "\"\""
        case 4, 5:
            let members = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                let name = Int.random(in: 0..<4, using: &rng) == 0 ? randomString(&rng, from: texts) : names.randomElement(using: &rng)!
                return "\"\(name)\"" + [":", " : ", ":\n  "].randomElement(using: &rng)! + randomJSON(&rng, depth: depth + 1)
            }
            return "{" + members.joined(separator: [",", ", ", ",\n"].randomElement(using: &rng)!) + "}"
        default:
            let elements = (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) }
            return "[" + elements.joined(separator: ",") + "]"
        }
    }

    private static func randomDocument(_ rng: inout SplitMix64) -> String {
        var doc = randomJSON(&rng, depth: 0)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: doc = randomString(&rng, from: texts + names)  // free text
        case 1: doc = String(doc.dropLast(Int.random(in: 0...3, using: &rng)))  // cut JSON
        case 2: doc = " \n" + doc + "\n"
        case 3:  // anchors at every offset of the scan's sixteen-byte blocks
            doc = String(repeating: " ", count: Int.random(in: 0...40, using: &rng)) + doc + String(repeating: " ", count: Int.random(in: 0...20, using: &rng))
        default: break
        }
        return doc
    }

    private func assertSameResults(rules: RedactionRules, iterations: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var rng = SplitMix64(seed: seed)
        var skipped = 0
        for _ in 0..<iterations {
            let doc = Self.randomDocument(&rng)
            var fast = RedactionPass(rules: rules)
            var slow = RedactionPass(rules: rules)
            slow.usesPrescan = false
            XCTAssertEqual(fast.document(doc, isForm: false), slow.document(doc, isForm: false), "document: \(doc)", file: file, line: line)
            XCTAssertEqual(fast.text(doc), slow.text(doc), "text: \(doc)", file: file, line: line)
            let message = WebSocketMessage(
                direction: .client, at: 1, opcode: Bool.random(using: &rng) ? .text : .close, payload: .text(doc),
                frames: [WebSocketFrameInfo(fin: true, opcode: .text, rsv: 0, length: doc.utf8.count, masked: true)]
            )
            XCTAssertEqual(fast.message(message), slow.message(message), "message: \(doc)", file: file, line: line)
            XCTAssertEqual(fast.counts, slow.counts, "counts: \(doc)", file: file, line: line)
            var copy = doc
            if !copy.withUTF8({ rules.prescan.documentMayChange($0) }) { skipped += 1 }
        }
        return skipped
    }

    func testSkippingNeverChangesOutputOrCounts() throws {
        let skipped = assertSameResults(rules: .default, iterations: 4000, seed: 7)
        // Not vacuous: a good share of documents take the fast path, and some do not.
        XCTAssertGreaterThan(skipped, 400)
        XCTAssertLessThan(skipped, 3600)
    }

    func testSkippingWithExtraBodyKeys() throws {
        let rules = try RedactionRules(bodyKeys: ["ssn", "Pin-Code", "type"])
        XCTAssertTrue(rules.prescan.documentEnabled)
        XCTAssertGreaterThan(assertSameResults(rules: rules, iterations: 1500, seed: 11), 100)
    }

    func testRulesTheScanCannotJudgeTurnItOff() throws {
        let regex = try RedactionRules(regexes: ["x{4}"])
        XCTAssertFalse(regex.prescan.textEnabled)
        XCTAssertFalse(regex.prescan.documentEnabled)
        XCTAssertEqual(assertSameResults(rules: regex, iterations: 300, seed: 3), 0)
        let path = try RedactionRules(jsonPaths: ["$.body"])
        XCTAssertTrue(path.prescan.textEnabled)
        XCTAssertFalse(path.prescan.documentEnabled)
        _ = assertSameResults(rules: path, iterations: 300, seed: 5)
        let odd = try RedactionRules(bodyKeys: ["pass word"])
        XCTAssertFalse(odd.prescan.documentEnabled)
        _ = assertSameResults(rules: odd, iterations: 300, seed: 9)
    }

    /// The scan treats U+212A as a possible key letter and every other
    /// non-ASCII scalar as not one. That holds only if no other scalar's
    /// `lowercased()` form is equivalent (as Swift compares strings) to key
    /// characters; checked here for every scalar.
    func testKelvinSignIsTheOnlyNonASCIIScalarThatLowersToAKeyCharacter() {
        let keyCharacters = Set(RedactionPrescan.keyAlphabet.map { String(UnicodeScalar($0)) })
        var found: [UInt32] = []
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = UnicodeScalar(value) else { continue }
            let lowered = String(scalar).lowercased()
            let allKeyCharacters = lowered.unicodeScalars.allSatisfy { t in
                t.isASCII ? RedactionPrescan.keyAlphabet.contains(UInt8(t.value)) : keyCharacters.contains(String(t))
            }
            if allKeyCharacters { found.append(value) }
        }
        XCTAssertEqual(found, [0x212A])
    }

    func testTheScanFindsEachAnchor() {
        func mayChange(_ s: String) -> Bool {
            var s = s
            return s.withUTF8 { RedactionRules.default.prescan.documentMayChange($0) }
        }
        for hit in [#"{"Password":"x"}"#, #"{"pass\u0077ord":"x"}"#, "{\"api_\u{212A}ey\":\"x\"}", "eyJ", "-----BEGIN X", "AKIA", "ASIA", "AIza", "ghp_", "github_pat_", "xoxb-"] {
            XCTAssertTrue(mayChange(hit), hit)
        }
        let misses = [#"{"type":"user_message","body":"xxxxxxxxxxxxxxxxxxxxxxxx"}"#, #"{"passwords":"x"}"#, "eyI", "xoxz-", "ghx_", "AKI"]
        for miss in misses {
            XCTAssertFalse(mayChange(miss), miss)
        }
        // The scan looks sixteen bytes at a time, the last block overlapping
        // the one before: anchors at every offset of a block and of the tail.
        for before in 0..<34 {
            for after in [0, 1, 7, 15, 16, 17, 31] {
                let pad = { (n: Int) in String(repeating: " ", count: n) }
                for hit in ["eyJ", "AKIA", "ghp_", "xoxb-", #"{"token":1}"#] { XCTAssertTrue(mayChange(pad(before) + hit + pad(after)), "\(before) \(hit) \(after)") }
                for miss in misses { XCTAssertFalse(mayChange(pad(before) + miss + pad(after)), "\(before) \(miss) \(after)") }
            }
        }
    }
}
