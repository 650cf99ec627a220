import Foundation
import TestSupport
import XCTest

/// `import --keylog`: the decrypted sessions are written, `inspect` shows the
/// TLS details on the session line, and a key log that cannot be read is a
/// usage error.
final class KeyLogCommandTests: XCTestCase {
    func testImportWithAKeyLogAndInspectShowsTLSOnTheSessionLine() throws {
        let capture = try Corpus.requireCapture("zeek_tls12-decryption.pcap")
        let keyLog = try Corpus.requireCapture("zeek_tls12-decryption.keylog")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keylog-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("tls.json").path
        let imported = try CLI.run(["import", capture, "--keylog", keyLog, "--output", output])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("1 sessions, 1 HTTP exchanges"), imported.stdout)
        let inspected = try CLI.run(["inspect", output])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertTrue(inspected.stdout.contains("tls1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 sni=heise.de alpn=http/1.1"), inspected.stdout)
        // The recording never holds the master secret.
        let secret = try XCTUnwrap(try String(contentsOfFile: keyLog, encoding: .utf8).split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertFalse(try String(contentsOfFile: output, encoding: .utf8).contains(secret))

        let missing = try CLI.run(["import", capture, "--keylog", directory.appendingPathComponent("nope").path, "--output", output])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--keylog"), missing.stderr)
    }

    /// A decrypted recording serves from the mock and replays against it like
    /// one captured in plaintext: every session passes.
    func testADecryptedRecordingServesAndReplays() async throws {
        let capture = try Corpus.requireCapture("zeek_tls-1.2-stream-keylog.pcap")
        let keyLog = try Corpus.requireCapture("zeek_tls-1.2-stream-keylog.keylog")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keylog-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("tls.json").path
        let imported = try CLI.run(["import", capture, "--keylog", keyLog, "--output", output])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let mock = try await ServerProcess.start(executable: CLI.executable, ["serve", output, "--port", "0"])
        let replay = try await CLI.runOffThread(["replay", output, "--target", try XCTUnwrap(mock.baseURL), "--timeout", "5"])
        _ = try await mock.stop()
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.hasSuffix(" passed, 0 failed\n"), replay.stdout)
        XCTAssertFalse(replay.stdout.hasPrefix("0 passed"), replay.stdout)
    }
}
