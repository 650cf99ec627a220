import Foundation
import TrafficModel
import XCTest

/// Inputs the fuzzers found (Fuzz/Crashes), kept so the fixes stay fixed.
final class FuzzRegressionTests: XCTestCase {
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/FuzzRegressions"
    }()

    /// fuzz-recording: a hand-written `issuedAgo` with four decimals was
    /// rounded to three on encoding, so decode → encode → decode changed it.
    /// Fixed-precision fields are now read at the precision they are written.
    func testRecordingsRoundTripWhateverPrecisionTheirNumbersHad() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasPrefix("recording-") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: "\(Self.directory)/\(file)"))
            let recording = try RecordingCodec.decode(bytes)
            let again = try RecordingCodec.decode(RecordingCodec.encodeBytes(recording))
            XCTAssertEqual(again, recording, file)
        }
        let written = #"{"format":"authreplay/1","source":{"kind":"hand-written","name":"n","tool":"t"},"capturedAt":"2026-11-25T00:00:00Z","sessions":[{"id":"s1","client":"1.2.3.4:5","server":"1.2.3.4:6","start":0.12345678,"exchanges":[]}]}"#
        let recording = try RecordingCodec.decode(Array(written.utf8))
        XCTAssertEqual(recording.sessions[0].start, 0.123457)
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(recording)), recording)
    }
}
