import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay variants` against the real example service: one fixture per
/// variant with the service's own answers, which then serve and replay as
/// recorded.
final class VariantsCommandTests: XCTestCase {
    let secret = "HS256:staging-test-secret-0123456789abcdef"  // the service's default key
    let password = "body:password=correct-horse-battery"

    func testFixturesHoldTheServiceAnswersAndServeAndReplayAsRecorded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-variants-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try await ServerProcess.start("staging-service", ["--port", "0"])
        let target = try XCTUnwrap(service.baseURL)
        let r = try await CLI.runOffThread([
            "variants", "recordings/login-and-websocket.json", "--target", target, "--secret", password,
            "--resign-jwt", secret, "--output-dir", dir.path, "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(JSONParser.parse(r.stdout).arrayValue)
        func row(_ session: String, _ variant: String) -> JSONValue? {
            rows.first { $0["session"]?.stringValue == session && $0["variant"]?.stringValue == variant }
        }
        // The WebSocket session: every variant, each with what the service really did.
        XCTAssertEqual(row("s3", "as recorded")?["close"], .int(1000))
        for variant in ["expired", "bad-signature", "alg-none", "missing", "malformed", "wrong-iss"] {
            XCTAssertEqual(row("s3", variant)?["errorCode"]?.stringValue, "AUTH_REQUIRED", variant)
            XCTAssertEqual(row("s3", variant)?["close"], .int(1008), variant)
        }
        // The example service does not check aud and nbf: the fixtures say so rather than guess.
        XCTAssertEqual(row("s3", "wrong-aud")?["close"], .int(1000))
        XCTAssertEqual(row("s3", "not-yet-valid")?["close"], .int(1000))
        XCTAssertEqual(row("s2", "expired")?["status"], .int(401))
        XCTAssertEqual(row("s2", "as recorded")?["status"], .int(200))

        let expired = try RecordingCodec.decode(Array(try XCTUnwrap(FileManager.default.contents(atPath: dir.appendingPathComponent("s3-expired.json").path))))
        XCTAssertEqual(expired.sessions.map(\.id), ["s1", "s3"], "the login that issued the token, then the session")
        let frame = try XCTUnwrap(expired.sessions[1].websocket?.messages.first?.payload.text)
        XCTAssertTrue(frame.contains("Token has expired"), "the service's own expiry error: \(frame)")
        XCTAssertEqual(expired.sessions[1].auth.first?.jwt?.verifiedBeforeRedaction, .valid)
        XCTAssertLessThan(try XCTUnwrap(expired.sessions[1].auth.first?.jwt?.expiresIn), 0)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: dir.appendingPathComponent("s3-expired.json").path))
        XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("correct-horse-battery"), "redacted")
        let lint = try CLI.run(["lint"] + (try FileManager.default.contentsOfDirectory(atPath: dir.path)).map { dir.appendingPathComponent($0).path })
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)

        // Replayed against the service (tokens chained, signed variants re-signed, forged ones sent as they are): every fixture passes.
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0).path }
        XCTAssertEqual(fixtures.count, 18)
        let replay = try await CLI.runOffThread(["replay"] + fixtures + ["--target", target, "--secret", password, "--resign-jwt", secret, "--timeout", "3"])
        _ = try await service.stop()
        XCTAssertEqual(replay.status, 0, replay.stdout)
        XCTAssertTrue(replay.stdout.hasSuffix("36 passed, 0 failed\n"), replay.stdout)

        // Served by the mock, replayed against it: as recorded too.
        let mock = try await ServerProcess.start(executable: CLI.executable, ["serve"] + fixtures + ["--port", "0"])
        let served = try await CLI.runOffThread(["replay"] + fixtures + ["--target", try XCTUnwrap(mock.baseURL), "--timeout", "3"])
        _ = try await mock.stop()
        XCTAssertEqual(served.status, 0, served.stdout)
    }

    func testWithoutAKeySignedVariantsAreSkippedAndSaidSo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-variants-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try await ServerProcess.start("staging-service", ["--port", "0"])
        let r = try await CLI.runOffThread([
            "variants", "recordings/login-and-websocket.json", "--target", try XCTUnwrap(service.baseURL), "--secret", password,
            "--variant", "expired", "--variant", "missing", "--output-dir", dir.path,
        ])
        _ = try await service.stop()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("skipped: needs --resign-jwt or --resign-jwt-key"), r.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["s2-missing.json", "s3-missing.json"])
    }

    func testAnUnreachableTargetExitsOne() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-variants-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CLI.runOffThread(["variants", "recordings/login-and-websocket.json", "--target", "http://127.0.0.1:1", "--variant", "missing", "--output-dir", dir.path, "--timeout", "1"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("cannot connect"), r.stdout)
    }
}
