import XCTest
@testable import TrafficModel

/// The shape every module's error shares (`CodedError`) and the location they all use.
final class CodedErrorTests: XCTestCase {
    func testLocationsSayWhatTheyKnow() {
        XCTAssertEqual(ErrorLocation().description, "")
        XCTAssertEqual(ErrorLocation(jsonPath: "$.sessions[0].id").description, "$.sessions[0].id")
        XCTAssertEqual(ErrorLocation(offset: 7, line: 2, column: 19).description, "2:19")
        XCTAssertEqual(ErrorLocation(file: "rules.json", line: 2, column: 19).description, "rules.json:2:19")
        XCTAssertEqual(ErrorLocation(file: "a.pcap", offset: 1616).description, "a.pcap offset 1616")
        XCTAssertEqual(ErrorLocation(offset: 1616).description, "offset 1616")
        XCTAssertEqual(
            ErrorLocation(file: "r.json", session: "s2", jsonPath: "$.sessions[1]").description, "r.json, $.sessions[1], session s2")
    }

    func testEqualAndHashableOnTheCodeOnly() {
        let a = RecordingError(.invalidValue, at: "$.a", "one reason")
        let b = RecordingError(.invalidValue, at: "$.b", "another")
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set([a, b]).count, 1)
        XCTAssertNotEqual(a, RecordingError(.wrongType, at: "$.a", "one reason"))
        XCTAssertEqual(RecordingError.Code.unknownField.description, "unknownField")
    }

    func testRecordingErrorsReadAsBefore() {
        XCTAssertEqual(
            RecordingError(.invalidValue, at: "$.sessions[0].client", "\"nowhere\" is not HOST:PORT").description,
            "invalid value at $.sessions[0].client: \"nowhere\" is not HOST:PORT")
        XCTAssertEqual(RecordingError(.unsupportedVersion, at: "$.format", "x").description, "unsupported format at $.format: x")
        XCTAssertEqual(RecordingError(.unknownField, at: "$.header", "x").description, "unknown field at $.header: x")
        XCTAssertThrowsError(try JSONParser.parse("{\n  \"a\": tru\n}")) { error in
            XCTAssertEqual("\(error)", "invalid JSON at 2:8: invalid literal, expected true")
            XCTAssertEqual((error as? RecordingError)?.location.offset, 9)
        }
    }
}
