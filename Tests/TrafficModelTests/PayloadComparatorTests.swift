import XCTest
@testable import TrafficModel

final class PayloadComparatorTests: XCTestCase {
    func json(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

    func testVolatileValuesCompareByShape() {
        let recorded = json(#"{"type":"connection_established","user_id":"u-1","connection_id":"6f1c1c4e-8a51-4a3c-9d53-2a43a0e0b9a1","timestamp":1764050401.2,"at":"2025-11-25T06:00:01Z","token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"}"#)
        let live = json(#"{"user_id":"u-1","type":"connection_established","connection_id":"0b0f5a66-1f1a-4f55-8d43-5f7f4d6c2b10","timestamp":1795586401,"at":"2026-11-25T06:00:01.123Z","token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.eHl6"}"#)
        XCTAssertEqual(PayloadComparator.compare(expected: recorded, actual: live), [])
    }

    func testSemanticFieldsMustBeEqualAndDiffsReadWell() {
        let recorded = json(#"{"type":"connection_established","user_id":"u-1"}"#)
        let live = json(#"{"type":"error_message","error_code":"AUTH_REQUIRED","user_id":"u-1"}"#)
        let diffs = PayloadComparator.compare(expected: recorded, actual: live)
        XCTAssertEqual(diffs.map(\.description), [
            #"$.type expected "connection_established", got "error_message""#,
            #"$.error_code new "AUTH_REQUIRED""#,
        ])
    }

    func testShapeMismatchMissingAndArrays() {
        let diffs = PayloadComparator.compare(
            expected: json(#"{"timestamp":1764050401,"items":[{"id":"6f1c1c4e-8a51-4a3c-9d53-2a43a0e0b9a1"},{"name":"b"}],"gone":1}"#),
            actual: json(#"{"timestamp":"soon","items":[{"id":"not-a-uuid"}]}"#)
        )
        XCTAssertEqual(diffs.map(\.description), [
            "$.timestamp expected an epoch time in seconds, got a string",
            "$.items[0].id expected a UUID, got a string",
            #"$.items[1] missing (expected {"name":"b"})"#,
            "$.gone missing (expected 1)",
        ])
    }

    func testIgnoredPathsAndExact() {
        let e = json(#"{"a":{"b":1,"c":2},"items":[{"x":1},{"x":2}],"n":"u-1"}"#)
        let a = json(#"{"a":{"b":9,"c":9},"items":[{"x":5},{"x":6}],"n":"u-2"}"#)
        XCTAssertEqual(PayloadComparator.compare(expected: e, actual: a, options: ComparisonOptions(ignoredPaths: ["$.a.*", "$.items[*].x", "$.n"])), [])
        XCTAssertEqual(PayloadComparator.compare(expected: e, actual: a, options: ComparisonOptions(ignoredPaths: ["$.a"])).count, 3)
        let volatileOnly = json(#"{"id":"6f1c1c4e-8a51-4a3c-9d53-2a43a0e0b9a1"}"#)
        let otherUUID = json(#"{"id":"0b0f5a66-1f1a-4f55-8d43-5f7f4d6c2b10"}"#)
        XCTAssertEqual(PayloadComparator.compare(expected: volatileOnly, actual: otherUUID).count, 0)
        XCTAssertEqual(PayloadComparator.compare(expected: volatileOnly, actual: otherUUID, options: ComparisonOptions(exact: true)).count, 1)
    }

    func testBodies() {
        XCTAssertEqual(PayloadComparator.compare(expected: .text(#"{"a":1, "b":2}"#), actual: .text(#"{"b":2,"a":1}"#)), [])
        XCTAssertEqual(PayloadComparator.compare(expected: .text("pong"), actual: .text("pong")), [])
        XCTAssertEqual(PayloadComparator.compare(expected: .text("pong"), actual: .text("ping")).map(\.description), [#"$ expected "pong", got "ping""#])
        XCTAssertEqual(PayloadComparator.compare(expected: .binary([1, 2]), actual: .binary([1, 3])).map(\.description), ["$ expected 2 bytes, got 2 bytes"])
        XCTAssertEqual(PayloadComparator.compare(expected: .text(#"{"a":1}"#), actual: .text(#"{"a": 1}"#), options: ComparisonOptions(exact: true)).count, 1)
    }

    func testPathTextAndPatterns() {
        XCTAssertEqual(JSONPath.root.appending(key: "a b").appending(index: 2).appending(key: "c").text, #"$["a b"][2].c"#)
        XCTAssertTrue(PathPattern("$.items[*].id").matches(JSONPath.root.appending(key: "items").appending(index: 4).appending(key: "id")))
        XCTAssertTrue(PathPattern("$.details").matches(JSONPath.root.appending(key: "details").appending(key: "error")))
        XCTAssertFalse(PathPattern("$.details.error").matches(JSONPath.root.appending(key: "details")))
    }

    /// An OAuth token request is form-encoded: its pairs are compared like
    /// JSON members, a JWT by shape, anything else exactly.
    func testFormEncodedBodiesAreComparedAsPairs() {
        let a = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnMQ"
        let b = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnMg"
        XCTAssertEqual(PayloadComparator.differences(expected: .text("grant_type=refresh_token&refresh_token=\(a)"), actual: .text("grant_type=refresh_token&refresh_token=\(b)")), [])
        XCTAssertEqual(PayloadComparator.differences(expected: .text("grant_type=password&password=redacted:01"), actual: .text("grant_type=password&password=redacted:02")).count, 1)
        XCTAssertEqual(PayloadComparator.differences(expected: .text("a=1&b=2"), actual: .text("b=2&a=1")), [], "pairs in another order, as members of a JSON object")
        var exact = ComparisonOptions()
        exact.exact = true
        XCTAssertEqual(PayloadComparator.differences(expected: .text("t=\(a)"), actual: .text("t=\(b)"), options: exact).count, 1, "exact stays byte for byte")
    }

    func testWhatCountsAsAFormBody() {
        XCTAssertEqual(CredentialLocator.formPairs("a=1&b=x%20y+z")?.map { "\($0.0)=\($0.1)" }, ["a=1", "b=x y z"])
        XCTAssertNil(CredentialLocator.formPairs("plain text"))
        XCTAssertNil(CredentialLocator.formPairs("{\"a\":1}"))
        XCTAssertNil(CredentialLocator.formPairs("a=1&b"), "every part a name=value")
        XCTAssertNil(CredentialLocator.formPairs(""))
    }
}
