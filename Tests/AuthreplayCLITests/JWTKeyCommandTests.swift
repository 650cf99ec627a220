import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `--jwt-key` (import, serve) and `--resign-jwt-key` (replay) as a user runs
/// them, with keys openssl makes now and tokens jwt-kit signs.
final class JWTKeyCommandTests: XCTestCase {
    nonisolated(unsafe) static var sharedKeys: TestKeys?
    var keys: TestKeys!
    var dir: URL!

    override func setUpWithError() throws {
        if Self.sharedKeys == nil { Self.sharedKeys = try TestKeys.generate() }
        keys = Self.sharedKeys
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-jwtkey-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    override class func tearDown() {
        sharedKeys?.remove()
        sharedKeys = nil
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// The presented JWT findings of a recording: algorithm → signature verdict.
    func verdicts(_ file: String) throws -> [String: JWTInfo.Signature] {
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: file)))
        var result: [String: JWTInfo.Signature] = [:]
        for finding in recording.sessions.flatMap(\.auth) where finding.role == .presented {
            if let jwt = finding.jwt, let alg = jwt.algorithm { result[alg] = jwt.signature }
        }
        return result
    }

    func testImportVerifiesRS256AndES256WithTheRightKeyOnly() async throws {
        let now = 1_900_000_000.0
        let rs = try await keys.mint(with: keys.rsa, issuedAt: now)
        let es = try await keys.mint(with: keys.ec, issuedAt: now)
        let ed = try await keys.mint(with: keys.ed25519, issuedAt: now)
        let hs = Self.hs256(secret: "a-staging-secret")
        let capture = path("jwt.pcap")
        try Data(JWTFixtures.pcap(bearers: [rs, es, ed, hs], start: now)).write(to: URL(fileURLWithPath: capture))

        func imported(_ options: [String]) throws -> [String: JWTInfo.Signature] {
            let output = path("out-\(UUID().uuidString).json")
            let r = try CLI.run(["import", capture, "--output", output, "--no-redact"] + options)
            XCTAssertEqual(r.status, 0, "\(options): \(r.stderr)")
            return try verdicts(output)
        }
        XCTAssertEqual(try imported([]), ["RS256": .unverified, "ES256": .unverified, "EdDSA": .unverified, "HS256": .unverified])
        XCTAssertEqual(try imported(["--jwt-key", keys.rsaPublic]), ["RS256": .valid, "ES256": .unverified, "EdDSA": .unverified, "HS256": .unverified])
        XCTAssertEqual(try imported(["--jwt-key", keys.otherRSAPublic])["RS256"], .invalid)
        XCTAssertEqual(try imported(["--jwt-key", keys.rsaCertificate])["RS256"], .valid, "a certificate verifies")
        XCTAssertEqual(try imported(["--jwt-key", keys.rsa])["RS256"], .valid, "a private key verifies too")
        XCTAssertEqual(try imported(["--jwt-key", keys.ecPublic]), ["RS256": .unverified, "ES256": .valid, "EdDSA": .unverified, "HS256": .unverified])
        XCTAssertEqual(try imported(["--jwt-key", keys.ed25519Public])["EdDSA"], .valid)
        // Another EC key of the same curve: the signature does not verify.
        let otherEC = path("other-ec.pem")
        try Self.writeOtherECPublicKey(to: otherEC)
        XCTAssertEqual(try imported(["--jwt-key", otherEC])["ES256"], .invalid)
        // Both options: HS256 by the secret, RS256 by the key.
        XCTAssertEqual(
            try imported(["--jwt-key", keys.rsaPublic, "--jwt-secret", "a-staging-secret"]),
            ["RS256": .valid, "ES256": .unverified, "EdDSA": .unverified, "HS256": .valid]
        )
        XCTAssertEqual(try imported(["--jwt-key", keys.rsaPublic, "--jwt-secret", "wrong"])["HS256"], .invalid)
        // Redaction (the default) pseudonymizes signatures after the check: the verdict outlives them.
        let redacted = path("redacted.json")
        XCTAssertEqual(try CLI.run(["import", capture, "--output", redacted, "--jwt-key", keys.rsaPublic]).status, 0)
        XCTAssertEqual(try verdicts(redacted)["RS256"], .redacted)
        let findings = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: redacted))).sessions.flatMap(\.auth)
        let before = Dictionary(findings.compactMap { f in f.jwt.map { ($0.algorithm ?? "?", $0.verifiedBeforeRedaction) } }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(before["RS256"], .valid)
        XCTAssertEqual(before["ES256"], .some(nil), "no verdict where the key could not check")
        let inspected = try CLI.run(["inspect", redacted])
        XCTAssertTrue(inspected.stdout.contains("sig=valid (before redaction)"), inspected.stdout)
        // Redacting the raw recording again (`authreplay redact`) keeps the verdicts too.
        let raw = path("raw.json")
        XCTAssertEqual(try CLI.run(["import", capture, "--output", raw, "--jwt-key", keys.rsaPublic, "--no-redact"]).status, 0)
        XCTAssertEqual(try CLI.run(["redact", raw, "--output", path("re.json")]).status, 0)
        let again = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("re.json")))).sessions.flatMap(\.auth)
        XCTAssertEqual(again.compactMap { $0.jwt?.verifiedBeforeRedaction }, findings.compactMap { $0.jwt?.verifiedBeforeRedaction })
    }

    func testUnloadableKeyFilesAreOneLineUsageErrorsNamingTheFile() throws {
        try "not a key".write(toFile: path("garbage.pem"), atomically: true, encoding: .utf8)
        try "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".write(toFile: path("broken.pem"), atomically: true, encoding: .utf8)
        let capture = path("one.pcap")
        try Data(JWTFixtures.pcap(bearers: [Self.hs256(secret: "s")])).write(to: URL(fileURLWithPath: capture))
        let recording = path("rec.json")
        try JWTFixtures.write(JWTFixtures.recording([(Self.hs256(secret: "s"), 200)], capturedAt: Timestamp(seconds: 1_900_000_000)), to: recording)
        for file in ["missing.pem", "garbage.pem", "broken.pem"] {
            for arguments in [
                ["import", capture, "--output", path("x.json"), "--jwt-key", path(file)],
                ["serve", recording, "--port", "0", "--jwt-key", path(file)],
                ["replay", recording, "--target", "http://127.0.0.1:9", "--resign-jwt-key", path(file)],
            ] {
                let r = try CLI.run(arguments, timeout: 20)
                XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssertTrue(r.stderr.contains(path(file)), r.stderr)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.json")))
        // Re-signing needs the private half.
        let publicOnly = try CLI.run(["replay", recording, "--target", "http://127.0.0.1:9", "--resign-jwt-key", keys.rsaPublic])
        XCTAssertEqual(publicOnly.status, 2)
        XCTAssertTrue(publicOnly.stderr.contains("rsa.pub.pem") && publicOnly.stderr.contains("private key"), publicOnly.stderr)
        // One key for re-signing.
        let both = try CLI.run(["replay", recording, "--target", "http://127.0.0.1:9", "--resign-jwt", "HS256:x", "--resign-jwt-key", keys.rsa])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("--resign-jwt and --resign-jwt-key"), both.stderr)
    }

    func testServeWithAKeyClassesATamperedTokenAsInvalidSignature() async throws {
        let valid = try await keys.mint(with: keys.rsa, issuedAt: 1_900_000_000, lifetime: 3_000_000_000)
        let recording = path("serve.json")
        try JWTFixtures.write(
            JWTFixtures.recording([(valid, 200), (TestKeys.tampered(valid, subject: "mallory"), 401)], capturedAt: Timestamp(seconds: 1_900_000_000)),
            to: recording
        )
        // Tampered differently than the recorded one (the mock compares `sub`, so the same subject).
        let live = TestKeys.tampered(valid, subject: "mallory", expires: 4_200_000_000)

        func serve(_ options: [String]) throws -> (tampered: String, valid: String, log: String) {
            let server = try BackgroundProcess(["serve", recording, "--port", "0"] + options)
            defer { server.interrupt(); _ = server.wait(timeout: 10) }
            let listening = try XCTUnwrap(server.waitForStdoutLine(prefix: "listening on http://127.0.0.1:"), server.stderr)
            let port = try XCTUnwrap(UInt16(listening.split(separator: ":").last!))
            func get(_ token: String) throws -> String {
                try RawHTTP.exchange(port: port, "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
            }
            let tampered = try get(live)
            let ok = try get(valid)
            _ = server.waitForStderr(containing: "GET /me → 200")
            return (tampered, ok, server.stderr)
        }

        let withKey = try serve(["--jwt-key", keys.rsaPublic])
        XCTAssertTrue(withKey.tampered.hasPrefix("HTTP/1.1 401"), withKey.tampered)
        XCTAssertTrue(withKey.log.contains("auth invalid-signature"), withKey.log)
        XCTAssertTrue(withKey.valid.hasPrefix("HTTP/1.1 200"), withKey.valid)
        // Without a key nothing can tell the tampered token from the good one.
        let without = try serve([])
        XCTAssertFalse(without.log.contains("invalid-signature"), without.log)
        XCTAssertTrue(without.log.contains("auth unknown"), without.log)
    }

    func testRecordVerifiesWhatPassesThroughTheProxy() async throws {
        let now = Date().timeIntervalSince1970
        let good = try await keys.mint(with: keys.rsa, issuedAt: now)
        let server = try RS256TestServer(publicKeyFile: keys.rsaPublic)
        defer { server.stop() }
        let output = path("recorded.json")
        let proxy = try BackgroundProcess([
            "record", "--upstream", server.url, "--listen", "127.0.0.1:0", "--output", output, "--no-redact", "--jwt-key", keys.rsaPublic,
        ])
        defer { proxy.interrupt() }
        let listening = try XCTUnwrap(proxy.waitForStdoutLine(prefix: "listening on http://127.0.0.1:"), proxy.stderr)
        let port = try XCTUnwrap(UInt16(listening.split(separator: ":").last!))
        let response = try RawHTTP.exchange(port: port, "GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(good)\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200"), response)
        proxy.interrupt()
        XCTAssertEqual(proxy.wait(timeout: 10), 0, proxy.stderr)
        XCTAssertEqual(try verdicts(output), ["RS256": .valid])
    }

    func testReplayResignsAnExpiredRS256TokenForARealVerifyingServer() async throws {
        let capturedAt = Timestamp(iso8601: "2025-11-25T06:00:00.000000Z")!
        let recorded = try await keys.mint(with: keys.rsa, issuedAt: capturedAt.seconds - 60)
        let recording = path("replay.json")
        try JWTFixtures.write(JWTFixtures.recording([(recorded, 200)], capturedAt: capturedAt), to: recording)
        let server = try RS256TestServer(publicKeyFile: keys.rsaPublic)
        defer { server.stop() }

        // Off the cooperative pool: the server verifies in tasks while the CLI runs.
        func replay(_ options: [String]) async throws -> CLIResult {
            let arguments = ["replay", recording, "--target", server.url] + options
            return try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try CLI.run(arguments) }) }
            }
        }
        // Long expired: the server refuses it as recorded.
        let asRecorded = try await replay([])
        XCTAssertEqual(asRecorded.status, 1, asRecorded.stdout)

        let before = Date().timeIntervalSince1970
        let resigned = try await replay(["--resign-jwt-key", keys.rsa])
        XCTAssertEqual(resigned.status, 0, resigned.stdout + resigned.stderr)
        XCTAssertTrue(resigned.stdout.hasSuffix("1 passed, 0 failed\n"), resigned.stdout)
        let sent = try XCTUnwrap(JWT(try XCTUnwrap(server.presented.last)))
        XCTAssertEqual(sent.algorithm, "RS256")
        XCTAssertEqual(sent.claims["sub"]?.stringValue, "alice")
        let iat = try XCTUnwrap(sent.numericDate("iat"))
        let exp = try XCTUnwrap(sent.numericDate("exp"))
        XCTAssertEqual(exp - iat, 3600, "the lifetime is kept")
        XCTAssertEqual(iat.rounded(), iat, "NumericDates are integers")
        // Issued 60 s before its use then; 60 s before now (± the run).
        XCTAssertEqual(iat, before - 60, accuracy: 30)

        // An EC key re-signs it as ES256, which this server does not accept.
        let wrongKey = try await replay(["--resign-jwt-key", keys.ec])
        XCTAssertEqual(wrongKey.status, 1, wrongKey.stdout)
        XCTAssertEqual(JWT(server.presented.last ?? "")?.algorithm, "ES256")
    }

    // MARK: helpers

    static func hs256(secret: String) -> String {
        let header = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"sub":"alice","iat":1900000000,"exp":1900003600}"#.utf8), url: true, padding: false)
        let mac = HMACAlgorithm.hs256.authenticationCode(Array("\(header).\(claims)".utf8), key: Array(secret.utf8))
        return "\(header).\(claims).\(Base64.encode(mac, url: true, padding: false))"
    }

    /// A second P-256 public key, by openssl.
    static func writeOtherECPublicKey(to file: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkey -pubout -out '\(file)'"]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}
