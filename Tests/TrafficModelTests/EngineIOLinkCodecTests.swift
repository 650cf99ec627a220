import XCTest
@testable import TrafficModel

/// `Session.engineIO` (issue 15): the logical Engine.IO session a connection
/// belongs to. Optional: written only when present, so recordings without
/// Engine.IO encode exactly as before; a bad transport names its path.
final class EngineIOLinkCodecTests: XCTestCase {
    private func document(_ session: String) -> String {
        #"{"format":"authreplay/1","source":{"kind":"hand-written","name":"t","tool":"t"},"capturedAt":"2026-01-01T00:00:00Z","sessions":["# + session + "]}"
    }

    func testLinkRoundTrips() throws {
        let text = document(#"{"id":"s1","client":"127.0.0.1:5000","server":"127.0.0.1:80","start":0,"engineIO":{"sid":"uwqDhPDnmxLpdPp0AAAA","transport":"polling"},"exchanges":[]}"#)
        let recording = try RecordingCodec.decode(Array(text.utf8))
        XCTAssertEqual(recording.sessions[0].engineIO, EngineIOLink(sid: "uwqDhPDnmxLpdPp0AAAA", transport: .polling))
        let encoded = RecordingCodec.encode(recording)
        XCTAssertTrue(encoded.contains(#""engineIO": {"#), encoded)
        XCTAssertTrue(encoded.contains(#""transport": "polling""#), encoded)
        XCTAssertEqual(try RecordingCodec.decode(Array(encoded.utf8)), recording)

        var upgraded = recording
        upgraded.sessions[0].engineIO?.transport = .websocket
        XCTAssertEqual(try RecordingCodec.decode(Array(RecordingCodec.encode(upgraded).utf8)).sessions[0].engineIO?.transport, .websocket)
    }

    func testAbsentLinkWritesNothing() throws {
        let text = document(#"{"id":"s1","client":"127.0.0.1:5000","server":"127.0.0.1:80","start":0,"exchanges":[]}"#)
        let recording = try RecordingCodec.decode(Array(text.utf8))
        XCTAssertNil(recording.sessions[0].engineIO)
        XCTAssertFalse(RecordingCodec.encode(recording).contains("engineIO"))
    }

    func testBadTransportNamesItsPath() {
        let text = document(#"{"id":"s1","client":"127.0.0.1:5000","server":"127.0.0.1:80","start":0,"engineIO":{"sid":"x","transport":"carrier-pigeon"},"exchanges":[]}"#)
        XCTAssertThrowsError(try RecordingCodec.decode(Array(text.utf8))) { error in
            let e = error as! RecordingError
            XCTAssertEqual(e.code, .invalidValue)
            XCTAssertEqual(e.location.description, "$.sessions[0].engineIO.transport")
        }
    }
}
