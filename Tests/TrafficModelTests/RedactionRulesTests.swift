import XCTest
@testable import TrafficModel

final class RedactionRulesTests: XCTestCase {
    private func parse(_ text: String) throws(RedactionRulesError) -> RedactionRules {
        try RedactionRules.parse(Array(text.utf8))
    }

    private func error(_ text: String) -> RedactionRulesError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
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
        XCTAssertEqual(error("{\n  \"headers\": [\"a\",]\n}"), RedactionRulesError(.invalidJSON, at: "2:19", ""))
        XCTAssertEqual(error("[]"), RedactionRulesError(.wrongType, at: "$", ""))
        XCTAssertEqual(error(#"{"header": ["X"]}"#), RedactionRulesError(.unknownField, at: "$.header", ""))
        XCTAssertTrue(error(#"{"header": ["X"]}"#)!.description.contains("\"headers\""), "names the fields that exist")
        XCTAssertEqual(error(#"{"headers": "X-Api"}"#), RedactionRulesError(.wrongType, at: "$.headers", ""))
        XCTAssertEqual(error(#"{"bodyKeys": ["pin", 3]}"#), RedactionRulesError(.wrongType, at: "$.bodyKeys[1]", ""))
        XCTAssertEqual(error(#"{"queryNames": [""]}"#), RedactionRulesError(.invalidValue, at: "$.queryNames[0]", ""))
        XCTAssertEqual(error(#"{"jsonPaths": ["$.a", "user.ssn"]}"#), RedactionRulesError(.invalidValue, at: "$.jsonPaths[1]", ""))
        XCTAssertEqual(error(#"{"regexes": ["ok", "(unclosed"]}"#), RedactionRulesError(.invalidValue, at: "$.regexes[1]", ""))
        XCTAssertEqual(error(#"{"regexes": [""]}"#), RedactionRulesError(.invalidValue, at: "$.regexes[0]", ""))
        XCTAssertEqual(error(#"{"pseudonymKey": "short"}"#), RedactionRulesError(.invalidValue, at: "$.pseudonymKey", ""))
        XCTAssertEqual(error(#"{"pseudonymKey": 42}"#), RedactionRulesError(.wrongType, at: "$.pseudonymKey", ""))
        XCTAssertEqual(error(#"{"regexes": ["(unclosed"]}"#)?.description.hasPrefix("invalid value at $.regexes[0]: \"(unclosed\" is not a valid regular expression"), true)
    }
}
