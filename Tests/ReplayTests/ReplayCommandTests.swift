import Foundation
import FoundationXML
import TestSupport
import TrafficModel
import XCTest

final class ReplayCommandTests: XCTestCase {
    func testReplayPassesAndWritesJUnit() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let path = try StagingRecordings.write(StagingRecordings.loginThenWebSocket)
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: junit) }
        let r = try await CLI.runOffThread(["replay", path, "--target", server.url, "--junit", junit, "--timeout", "5"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "PASS s1\nPASS s2\n2 passed, 0 failed\n")
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit), options: [])
        let suite = try XCTUnwrap(document.rootElement()?.elements(forName: "testsuite").first)
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "2")
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "0")
    }

    func testRegressionExitsOneWithTheDiffInJUnit() async throws {
        let server = try await TestStagingServer.start(.contextRegression)
        defer { Task { await server.stop() } }
        let path = try StagingRecordings.write(StagingRecordings.loginThenWebSocket)
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: junit) }
        let r = try await CLI.runOffThread(["replay", path, "--target", server.url, "--junit", junit, "--timeout", "5"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("FAIL s2\n    server message 1: "), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\n1 passed, 1 failed\n"), r.stdout)
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit), options: [])
        let suite = try XCTUnwrap(document.rootElement()?.elements(forName: "testsuite").first)
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "1")
        let failure = try XCTUnwrap(suite.elements(forName: "testcase")[1].elements(forName: "failure").first)
        XCTAssertTrue(failure.stringValue?.contains("server message 1:") == true, failure.stringValue ?? "")
    }

    func testZeroSessionsExecutedExitsTwo() async throws {
        let empty = Recording(source: Source(kind: .handWritten, name: "empty", tool: "tests"), capturedAt: StagingRecordings.capturedAt, sessions: [])
        let path = try StagingRecordings.write(empty)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try await CLI.runOffThread(["replay", path, "--target", "http://127.0.0.1:9"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "0 passed, 0 failed\n")
        XCTAssertTrue(r.stderr.contains("no session was executed: a replay that tests nothing is an error"), r.stderr)
    }

    func testUsageErrorsExitTwo() async throws {
        let path = try StagingRecordings.write(StagingRecordings.loginThenWebSocket)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let unknown = try await CLI.runOffThread(["replay", path, "--target", "http://127.0.0.1:9", "--session", "nope"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains(#"no session "nope" in the recordings (sessions: s1, s2)"#), unknown.stderr)
        for arguments in [
            ["replay", path],
            ["replay", path, "--target", "ftp://x"],
            ["replay", path, "--target", "http://127.0.0.1:9", "--resign-jwt", "RS256:x"],
            ["replay", path, "--target", "http://127.0.0.1:9", "--concurrency", "0"],
        ] {
            let r = try await CLI.runOffThread(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
        }
    }
}

/// `--secret`: a redacted recording replays with its secrets bound at run
/// time; a redacted value sent unbound is said on the session's result; a
/// binding that matches nothing is refused before anything is sent.
final class ReplaySecretTests: XCTestCase {
    func testSecretsAreBoundFromTheEnvironmentAndUnboundOnesAreNoted() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let redacted = Redactor().redact(StagingRecordings.loginThenWebSocket).0
        XCTAssertTrue(redacted.sessions[0].exchanges[0].request.body?.text?.contains("redacted:") ?? false)
        let path = try StagingRecordings.write(redacted)

        setenv("AUTHREPLAY_TEST_PASSWORD", "correct horse", 1)
        defer { unsetenv("AUTHREPLAY_TEST_PASSWORD") }
        let bound = try await CLI.runOffThread(["replay", path, "--target", server.url, "--secret", "body:password=env:AUTHREPLAY_TEST_PASSWORD"])
        XCTAssertEqual(bound.status, 0, bound.stdout + bound.stderr)
        XCTAssertFalse(bound.stdout.contains("note: sent redacted values"), bound.stdout)

        let unbound = try await CLI.runOffThread(["replay", path, "--target", server.url])
        XCTAssertTrue(unbound.stdout.contains("note: sent redacted values, not the secrets (body:password redacted:"), unbound.stdout)
        XCTAssertTrue(unbound.stdout.contains("--secret body:password=VALUE"), unbound.stdout)

        let refused = try await CLI.runOffThread(["replay", path, "--target", server.url, "--secret", "body:pin=1234"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--secret body:pin: the recording sends no redacted value under body:pin; it has body:password"), refused.stderr)
        XCTAssertEqual(refused.stdout, "", "nothing was sent")

        let missing = try await CLI.runOffThread(["replay", path, "--target", server.url, "--secret", "body:password=env:AUTHREPLAY_UNSET_VARIABLE"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("$AUTHREPLAY_UNSET_VARIABLE, which is not set"), missing.stderr)
    }
}
