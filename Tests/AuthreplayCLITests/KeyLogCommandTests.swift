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
        let directory = try scratchDirectory("keylog-cli")
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
        let directory = try scratchDirectory("keylog-serve")
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

/// pcapng Decryption Secrets Blocks: a capture that carries its own TLS key
/// log decrypts without `--keylog`, as Wireshark reads it.
final class DecryptionSecretsBlockTests: XCTestCase {
    /// `pcap` rewritten as pcapng (little- or big-endian) with `keyLog` in a DSB after the interface block.
    static func pcapng(from pcap: [UInt8], keyLog: String, bigEndian: Bool) -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] {
            let le = [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
            return bigEndian ? le.reversed() : le
        }
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let length = UInt32(12 + body.count)
            return u32(type) + u32(length) + body + u32(length)
        }
        // Classic pcap, little-endian microseconds (the zeek capture's own layout).
        func le32(_ at: Int) -> UInt32 { UInt32(pcap[at]) | UInt32(pcap[at + 1]) << 8 | UInt32(pcap[at + 2]) << 16 | UInt32(pcap[at + 3]) << 24 }
        let linkType = UInt16(le32(20))
        var out = block(0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(1) + u16(0) + [UInt8](repeating: 0xFF, count: 8))
        out += block(1, u16(linkType) + u16(0) + u32(65535))
        let secrets = Array(keyLog.utf8)
        out += block(0x0A, u32(0x544C_534B) + u32(UInt32(secrets.count)) + padded(secrets))
        var offset = 24
        while offset + 16 <= pcap.count {
            let seconds = UInt64(le32(offset)), micros = UInt64(le32(offset + 4))
            let captured = Int(le32(offset + 8)), original = le32(offset + 12)
            let data = Array(pcap[offset + 16..<offset + 16 + captured])
            let stamp = seconds * 1_000_000 + micros
            out += block(6, u32(0) + u32(UInt32(stamp >> 32)) + u32(UInt32(stamp & 0xFFFF_FFFF)) + u32(UInt32(captured)) + u32(original) + padded(data))
            offset += 16 + captured
        }
        return out
    }

    /// A gzip-compressed pcapng (`.pcapng.gz`, read like any gzip capture) gives up its DSBs too, in both byte orders.
    func testKeysInAGzipCompressedCaptureDecryptWithoutAKeyLog() throws {
        let capture = try Corpus.requireCapture("zeek_tls12-decryption.pcap")
        let keyLog = try String(contentsOfFile: try Corpus.requireCapture("zeek_tls12-decryption.keylog"), encoding: .utf8)
        let pcap = Array(try XCTUnwrap(FileManager.default.contents(atPath: capture)))
        let directory = try scratchDirectory("dsb-gz")
        for bigEndian in [false, true] {
            let plain = directory.appendingPathComponent("tls-\(bigEndian).pcapng").path
            try Data(Self.pcapng(from: pcap, keyLog: keyLog, bigEndian: bigEndian)).write(to: URL(fileURLWithPath: plain))
            // gzip(1) is in every Debian system (an Essential package).
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-n", "-f", plain]
            try gzip.run()
            gzip.waitUntilExit()
            XCTAssertEqual(gzip.terminationStatus, 0)
            let input = plain + ".gz"
            XCTAssertEqual(Array(try XCTUnwrap(FileManager.default.contents(atPath: input)).prefix(2)), [0x1F, 0x8B])
            let output = directory.appendingPathComponent("tls-\(bigEndian).json").path
            let imported = try CLI.run(["import", input, "--output", output])
            XCTAssertEqual(imported.status, 0, imported.stderr)
            XCTAssertTrue(imported.stdout.contains("1 sessions, 1 HTTP exchanges"), "\(bigEndian): \(imported.stdout)")
            XCTAssertTrue(imported.stderr.contains("1 decryption secrets block in the capture"), imported.stderr)
            let recorded = try String(contentsOfFile: output, encoding: .utf8)
            XCTAssertTrue(recorded.contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), "TLS details recorded")
            XCTAssertFalse(recorded.contains("tls-undecryptable"), "decrypted: \(recorded.prefix(2000))")
            let secret = try XCTUnwrap(keyLog.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertFalse(recorded.contains(secret), "the secret never reaches the recording")
        }
    }

    func testKeysInTheCaptureDecryptWithoutAKeyLogInBothByteOrders() throws {
        let capture = try Corpus.requireCapture("zeek_tls12-decryption.pcap")
        let keyLog = try String(contentsOfFile: try Corpus.requireCapture("zeek_tls12-decryption.keylog"), encoding: .utf8)
        let pcap = Array(try XCTUnwrap(FileManager.default.contents(atPath: capture)))
        XCTAssertEqual(Array(pcap.prefix(4)), [0xD4, 0xC3, 0xB2, 0xA1], "little-endian microsecond pcap")
        let directory = try scratchDirectory("dsb")
        for bigEndian in [false, true] {
            let input = directory.appendingPathComponent("tls-\(bigEndian).pcapng").path
            try Data(Self.pcapng(from: pcap, keyLog: keyLog, bigEndian: bigEndian)).write(to: URL(fileURLWithPath: input))
            let output = directory.appendingPathComponent("tls-\(bigEndian).json").path
            let imported = try CLI.run(["import", input, "--output", output])
            XCTAssertEqual(imported.status, 0, imported.stderr)
            XCTAssertTrue(imported.stdout.contains("1 sessions, 1 HTTP exchanges"), "\(bigEndian): \(imported.stdout)")
            XCTAssertTrue(imported.stderr.contains("1 decryption secrets block in the capture"), imported.stderr)
            let recorded = try String(contentsOfFile: output, encoding: .utf8)
            XCTAssertTrue(recorded.contains("\"sni\""), "TLS details recorded")
            let secret = try XCTUnwrap(keyLog.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertFalse(recorded.contains(secret), "the secret never reaches the recording")
        }
    }
}
