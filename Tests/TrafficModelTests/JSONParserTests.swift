import TestSupport
import XCTest
@testable import TrafficModel

final class JSONParserTests: XCTestCase {
    func testParsesEveryKindAndKeepsOrderAndLiterals() throws {
        let text = #"{"z":1,"a":[true,false,null],"n":-1.50e+3,"s":"h\u00e9\n\ud83d\ude00"}"#
        let value = try JSONParser.parse(text)
        XCTAssertEqual(value.objectValue?.map(\.0), ["z", "a", "n", "s"])
        XCTAssertEqual(value["n"], .number("-1.50e+3"))
        XCTAssertEqual(value["s"]?.stringValue, "hé\n😀")
        XCTAssertEqual(JSONWriter.compact(value), #"{"z":1,"a":[true,false,null],"n":-1.50e+3,"s":"hé\n😀"}"#)
    }

    func testErrorsNameLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("{\n  \"a\": tru\n}", 2, 8, "invalid literal"),
            ("[1,]", 1, 4, "expected a value"),
            ("{\"a\" 1}", 1, 6, "expected ':'"),
            ("\"abc", 1, 1, "unterminated string"),
            ("01", 1, 2, "unexpected content"),
            ("{} x", 1, 4, "unexpected content"),
            ("\"\\x\"", 1, 2, "invalid escape"),
            ("\"\\ud800\"", 1, 8, "unpaired"),
            ("-", 1, 1, "invalid number"),
            ("", 1, 1, "unexpected end"),
        ]
        for (text, line, column, reason) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                let e = error as! RecordingError
                XCTAssertEqual(e.code, .invalidJSON, text)
                XCTAssertEqual(e.location.line, line, text)
                XCTAssertEqual(e.location.column, column, text)
                XCTAssertTrue(e.reason.contains(reason), "\(text): \(e.reason)")
            }
        }
    }

    func testDepthLimit() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue((error as! RecordingError).reason.contains("nesting"))
        }
        XCTAssertNoThrow(try JSONParser.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testBOMAndInvalidUTF8() throws {
        XCTAssertEqual(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)), .object([]))
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]))
    }

    func testEveryPrefixOfAValidDocumentFailsCleanly() throws {
        let text = Array(#"{"a":[1,2.5,{"b":"c\"d"}],"e":null,"f":true}"#.utf8)
        XCTAssertNoThrow(try JSONParser.parse(text))
        for cut in 0..<text.count {
            XCTAssertThrowsError(try JSONParser.parse(text[0..<cut]), "prefix \(cut)")
        }
    }

    func testWriterEscapesAndRoundTripsRandomStrings() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 0...20, using: &rng)).map { _ -> Character in
                let pool: [UInt32] = [0x00, 0x1F, 0x22, 0x5C, 0x2F, 0x7F, 0x41, 0xE9, 0x1F600, 0x0A, 0x2028]
                return Character(Unicode.Scalar(pool.randomElement(using: &rng)!)!)
            }
            let s = String(scalars)
            let value = JSONValue.object([("k", .string(s)), ("a", .array([.string(s), .int(-3)]))])
            XCTAssertEqual(try JSONParser.parse(JSONWriter.compact(value)), value)
            XCTAssertEqual(try JSONParser.parse(JSONWriter.pretty(value)), value)
        }
    }

    /// The writer skips runs sixteen bytes at a time; its output must be the
    /// byte-by-byte escape's, wherever the escapes fall in a block or in the
    /// overlapping last block.
    func testWriterEscapesLikeTheByteByByteReference() {
        func referenceBytes(_ s: String) -> [UInt8] {
            let hex = Array("0123456789abcdef".utf8)
            var out: [UInt8] = [0x22]
            for b in s.utf8 {
                switch b {
                case 0x22: out += Array(#"\""#.utf8)
                case 0x5C: out += Array(#"\\"#.utf8)
                case 0x0A: out += Array(#"\n"#.utf8)
                case 0x0D: out += Array(#"\r"#.utf8)
                case 0x09: out += Array(#"\t"#.utf8)
                case 0x08: out += Array(#"\b"#.utf8)
                case 0x0C: out += Array(#"\f"#.utf8)
                case 0x00..<0x20, 0x7F: out += Array(#"\u00"#.utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                default: out.append(b)
                }
            }
            return out + [0x22]
        }
        var rng = SplitMix64(seed: 42)
        let pool: [UInt32] = [0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x41, 0x78, 0xE9, 0x2028, 0x1F600]
        for _ in 0..<3000 {
            let length = Int.random(in: 0...80, using: &rng)
            var s = ""
            for _ in 0..<length {
                // Mostly plain letters, so escapes land at every offset of a block.
                let v = Int.random(in: 0..<4, using: &rng) == 0 ? pool.randomElement(using: &rng)! : 0x61
                s.unicodeScalars.append(Unicode.Scalar(v)!)
            }
            XCTAssertEqual(Array(JSONWriter.compact(.string(s)).utf8), referenceBytes(s), s.debugDescription)
        }
    }

    func testFormatFixed() {
        XCTAssertEqual(formatFixed(1.5, decimals: 6), "1.500000")
        XCTAssertEqual(formatFixed(-0.0000004, decimals: 6), "0.000000")
        XCTAssertEqual(formatFixed(-2.25, decimals: 1), "-2.3")
        XCTAssertEqual(formatFixed(3, decimals: 0), "3")
        XCTAssertEqual(formatFixed(0.1 + 0.2, decimals: 6), "0.300000")
        XCTAssertEqual(formatFixed(-8.9e18, decimals: 0), "-8900000000000000000")
        // The digit writer against the plain String arithmetic it replaced.
        func reference(_ value: Double, decimals: Int) -> String {
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let scaled = (abs(value) * scale).rounded()
            let units = UInt64(scaled)
            var text = (value < 0 && scaled != 0 ? "-" : "") + String(units / UInt64(scale))
            if decimals > 0 {
                let frac = String(units % UInt64(scale))
                text += "." + String(repeating: "0", count: decimals - frac.count) + frac
            }
            return text
        }
        var rng = SplitMix64(seed: 8)
        for _ in 0..<3000 {
            let value = Double.random(in: -1...1, using: &rng) * [1, 1e3, 1e6, 1e9][Int.random(in: 0...3, using: &rng)]
            let decimals = Int.random(in: 0...9, using: &rng)
            guard (abs(value) * 1e9).rounded() < 9.0e18 else { continue }
            XCTAssertEqual(formatFixed(value, decimals: decimals), reference(value, decimals: decimals), "\(value) \(decimals)")
        }
    }
}
