import XCTest
@testable import TrafficModel

final class RedactionRulesTests: XCTestCase {
    private func parse(_ text: String) throws(RecordingError) -> RedactionRules {
        try RedactionRules.parse(Array(text.utf8))
    }

    private func error(_ text: String) -> RecordingError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// Equal errors share a code; the location is checked on its own.
    private func assertError(_ text: String, _ code: RecordingError.Code, at place: String, line: UInt = #line) {
        let e = error(text)
        XCTAssertEqual(e, RecordingError(code, at: place, ""), text, line: line)
        XCTAssertEqual(e?.location.description, place, text, line: line)
    }

    func testAFileAddsToTheDefaults() throws {
        let rules = try parse("""
        {
          "headers": ["X-Session"],
          "queryNames": ["Sig"],
          "bodyKeys": ["pin"],
          "jsonPaths": ["$.user.ssn"],
          "regexes": ["sk_live_[0-9A-Za-z]+"],
          "redactClaims": ["email"],
          "pseudonymKey": "our own key, at least 16 bytes"
        }
        """)
        XCTAssertTrue(rules.headers.isSuperset(of: ["x-session", "x-api-key"]))
        XCTAssertTrue(rules.queryNames.isSuperset(of: ["sig", "token", "access_token"]))
        XCTAssertTrue(rules.bodyKeys.isSuperset(of: ["pin", "password", "client_secret"]))
        XCTAssertEqual(rules.jsonPaths, ["$.user.ssn"])
        XCTAssertEqual(rules.regexes, ["sk_live_[0-9A-Za-z]+"])
        XCTAssertEqual(rules.redactClaims, ["email"])
        XCTAssertEqual(rules.pseudonymizer.key, Array("our own key, at least 16 bytes".utf8))
        XCTAssertNotEqual(Redactor(rules: rules).redact(value: "x"), Redactor().redact(value: "x"))
        XCTAssertEqual(try parse("{}").headers, RedactionRules.default.headers)
    }

    func testErrorsSayWhatAndWhere() {
        assertError("{\n  \"headers\": [\"a\",]\n}", .invalidJSON, at: "2:19")
        assertError("[]", .wrongType, at: "$")
        assertError(#"{"header": ["X"]}"#, .unknownField, at: "$.header")
        XCTAssertTrue(error(#"{"header": ["X"]}"#)!.description.contains("\"headers\""), "names the fields that exist")
        assertError(#"{"headers": "X-Api"}"#, .wrongType, at: "$.headers")
        assertError(#"{"bodyKeys": ["pin", 3]}"#, .wrongType, at: "$.bodyKeys[1]")
        assertError(#"{"queryNames": [""]}"#, .invalidValue, at: "$.queryNames[0]")
        assertError(#"{"jsonPaths": ["$.a", "user.ssn"]}"#, .invalidValue, at: "$.jsonPaths[1]")
        assertError(#"{"regexes": ["ok", "(unclosed"]}"#, .invalidValue, at: "$.regexes[1]")
        assertError(#"{"regexes": [""]}"#, .invalidValue, at: "$.regexes[0]")
        assertError(#"{"pseudonymKey": "short"}"#, .invalidValue, at: "$.pseudonymKey")
        assertError(#"{"pseudonymKey": 42}"#, .wrongType, at: "$.pseudonymKey")
        XCTAssertEqual(error(#"{"regexes": ["(unclosed"]}"#)?.description.hasPrefix("invalid value at $.regexes[0]: \"(unclosed\" is not a valid regular expression"), true)
    }
}
