import XCTest
@testable import TrafficModel

/// Every recording under recordings/ decodes, is in canonical form, and its
/// auth findings are what the analyzer derives. Set AUTHREPLAY_UPDATE_RECORDINGS=1
/// to rewrite them canonically (after hand edits).
final class ShippedRecordingsTests: XCTestCase {
    func testShippedRecordingsAreCanonical() throws {
        let dir = "\(repositoryRoot)/recordings"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertFalse(files.isEmpty)
        let update = ProcessInfo.processInfo.environment["AUTHREPLAY_UPDATE_RECORDINGS"] == "1"
        for file in files {
            let path = "\(dir)/\(file)"
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let recording = try RecordingCodec.decode(Array(original.utf8))
            // Shipped recordings are redacted: their findings say so.
            let canonical = RecordingCodec.encode(AuthAnalyzer(verifier: RedactedSignatureVerifier()).analyze(recording))
            if update {
                try canonical.write(toFile: path, atomically: true, encoding: .utf8)
            } else {
                XCTAssertEqual(original, canonical, "\(file) is not canonical; run with AUTHREPLAY_UPDATE_RECORDINGS=1 and review the diff")
            }
        }
    }
}
