import TestSupport
import XCTest
@testable import TrafficModel

final class RecordingCodecTests: XCTestCase {
    func testRoundTripIsIdenticalForRandomRecordings() throws {
        var generator = RecordingGenerator(rng: SplitMix64(seed: 42))
        for i in 0..<300 {
            let recording = generator.recording()
            let encoded = RecordingCodec.encode(recording)
            let decoded = try RecordingCodec.decode(Array(encoded.utf8))
            XCTAssertEqual(decoded, recording, "recording \(i)")
            XCTAssertEqual(RecordingCodec.encode(decoded), encoded, "recording \(i) re-encodes differently")
        }
    }

    func testEncodingIsDeterministicAndReadable() throws {
        let recording = try loadShipped("auth-required.json")
        let a = RecordingCodec.encode(recording)
        let b = RecordingCodec.encode(try RecordingCodec.decode(Array(a.utf8)))
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.hasPrefix("{\n  \"format\": \"authreplay/1\",\n"))
        XCTAssertTrue(a.contains(#"["Upgrade", "websocket"]"#), "header fields print on one line")
    }

    func testErrorPathsNameTheField() {
        let cases: [(String, RecordingError.Code, String)] = [
            ("{", .invalidJSON, "1:2"),
            ("[]", .wrongType, "$"),
            (#"{"sessions":[]}"#, .missingField, "$.format"),
            (#"{"format":"authreplay/9","sessions":[]}"#, .unsupportedVersion, "$.format"),
            (#"{"format":"har/1","sessions":[]}"#, .unsupportedVersion, "$.format"),
            (minimal(sessions: "[]").replacingOccurrences(of: "\"capturedAt\":\"2026-01-01T00:00:00Z\",", with: ""), .missingField, "$.capturedAt"),
            (minimal(sessions: "[]").replacingOccurrences(of: "2026-01-01T00:00:00Z", with: "yesterday"), .invalidValue, "$.capturedAt"),
            (minimal(sessions: #"[{"id":"s1","client":"nowhere","server":"1.2.3.4:80","start":0,"exchanges":[]}]"#), .invalidValue, "$.sessions[0].client"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0}]"#), .missingField, "$.sessions[0].exchanges"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[{"request":{"at":0,"target":"/","headers":[]}}]}]"#), .missingField, "$.sessions[0].exchanges[0].request.method"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[{"request":{"at":0,"method":7,"target":"/","headers":[]}}]}]"#), .wrongType, "$.sessions[0].exchanges[0].request.method"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[{"request":{"at":0,"method":"GET","target":"/","headers":[["Bad Name","x"]]}}]}]"#), .invalidValue, "$.sessions[0].exchanges[0].request.headers[0][0]"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[{"request":{"at":0,"method":"GET","target":"/","headers":[]},"response":{"at":0,"status":42,"headers":[]}}]}]"#), .invalidValue, "$.sessions[0].exchanges[0].response.status"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[],"websocket":{"messages":[{"direction":"up","at":0,"opcode":"text","text":"x"}]}}]"#), .invalidValue, "$.sessions[0].websocket.messages[0].direction"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[],"websocket":{"messages":[{"direction":"client","at":0,"opcode":"text"}]}}]"#), .missingField, "$.sessions[0].websocket.messages[0].text"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[],"websocket":{"messages":[{"direction":"client","at":0,"opcode":"binary","base64":"%%"}]}}]"#), .invalidValue, "$.sessions[0].websocket.messages[0].base64"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[],"auth":[{"role":"presented","exchange":3,"location":"x","scheme":"jwt"}]}]"#), .invalidValue, "$.sessions[0].auth[0].exchange"),
            (minimal(sessions: #"[{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[]},{"id":"s1","client":"1.2.3.4:1","server":"1.2.3.4:80","start":0,"exchanges":[]}]"#), .invalidValue, "$.sessions[1].id"),
        ]
        for (text, code, path) in cases {
            XCTAssertThrowsError(try RecordingCodec.decode(Array(text.utf8)), text) { error in
                let e = error as! RecordingError
                XCTAssertEqual(e.code, code, "\(text) → \(e)")
                XCTAssertEqual(e.location.description, path, "\(text) → \(e)")
            }
        }
    }

    func testUnsupportedVersionSaysWhatIsSupported() {
        XCTAssertThrowsError(try RecordingCodec.decode(Array(#"{"format":"authreplay/2"}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("authreplay/1"), "\(error)")
        }
    }

    private func minimal(sessions: String) -> String {
        #"{"format":"authreplay/1","source":{"kind":"hand-written","name":"t","tool":"t"},"capturedAt":"2026-01-01T00:00:00Z","sessions":"# + sessions + "}"
    }
}

/// The repository root (see `Corpus.packageRoot`).
let repositoryRoot = Corpus.packageRoot

func loadShipped(_ name: String) throws -> Recording {
    let data = try XCTUnwrap(FileManager.default.contents(atPath: "\(repositoryRoot)/recordings/\(name)"))
    return try RecordingCodec.decode(Array(data))
}

final class RecordingStreamEncoderTests: XCTestCase {
    /// The streaming encoder writes sessions without a `JSONValue` tree
    /// (`JSONStreamObject`); the whole-document encoder builds the tree and
    /// writes it. Over random recordings (every optional member present and
    /// absent, empty and full message lists) the bytes must be the same.
    func testStreamingIsByteIdenticalToWholeEncoding() throws {
        var generator = RecordingGenerator(rng: SplitMix64(seed: 99))
        for i in 0..<400 {
            let recording = generator.recording()
            var encoder = RecordingStreamEncoder(source: recording.source, capturedAt: recording.capturedAt)
            var text = encoder.prefix
            for session in recording.sessions { text += encoder.session(session) }
            text += encoder.suffix(redaction: recording.redaction)
            XCTAssertEqual(text, RecordingCodec.encode(recording), "recording \(i)")
        }
    }
}
