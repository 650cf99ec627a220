import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay serve … --exec -- CMD`: real commands (a Python client suite on
/// the `websockets` library, curl) run against the mock, and the verdict,
/// summary and JUnit report checked.
final class ServeExecCommandTests: XCTestCase {
    static let recording = "recordings/login-and-websocket.json"
    static let suite = ["python3", "Tests/Peers/python/exec_suite.py"]

    private func requireTools(python: Bool = false, curl: Bool = false) throws {
        if python {
            let probe = try CLIProcess.run(["python3", "-c", "import websockets.sync.client"])
            try requireOrSkip(probe == 0, "python3 with websockets (pip install 'websockets>=14') runs the client suite")
        }
        if curl {
            try requireOrSkip((try? CLIProcess.run(["curl", "--version"])) == 0, "curl (Debian's curl) is the failing command")
        }
    }

    func testAPassingClientSuiteExitsZeroWithEverySessionUsed() throws {
        try requireTools(python: true)
        let junit = try scratchDirectory("authreplay-exec").appendingPathComponent("mock.xml").path
        let r = try CLI.run(["serve", Self.recording, "--junit", junit, "--exec", "--"] + Self.suite)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("1 passed, 0 failed"), r.stdout)
        XCTAssertTrue(r.stderr.contains("mock: 3 requests served, 0 unmatched, 0 WebSocket mismatches; 3 of 3 recorded sessions used"), r.stderr)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains("<testsuite name=\"authreplay serve\" tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"0\""), xml)
        for session in ["s1", "s2", "s3"] {
            XCTAssertTrue(xml.contains("<testcase classname=\"\(Self.recording)\" name=\"session \(session)\" time=\"0.000\"/>"), xml)
        }
    }

    func testTheEnvironmentNamesTheMock() throws {
        let r = try CLI.run(["serve", Self.recording, "--allow-unmatched", "--exec", "--", "sh", "-c", "echo \"$AUTHREPLAY_URL $AUTHREPLAY_WS_URL\""])
        let urls = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        XCTAssertEqual(urls.count, 2, r.stdout)
        XCTAssertTrue(urls[0].hasPrefix("http://127.0.0.1:"), r.stdout)
        XCTAssertEqual(urls[1], "ws://" + urls[0].dropFirst("http://".count), r.stdout)
        XCTAssertTrue(r.stderr.contains("mock listening on \(urls[0])"), r.stderr)
        // It sent nothing, which is loud and a failure even with --allow-unmatched.
        XCTAssertEqual(r.status, 1, r.stderr)
    }

    func testASuiteThatRanNoTestFailsLoudly() throws {
        try requireTools(python: true)
        let junit = try scratchDirectory("authreplay-exec").appendingPathComponent("mock.xml").path
        let r = try CLI.run(["serve", Self.recording, "--junit", junit, "--exec", "--"] + Self.suite + ["--select", "no-such-test"])
        XCTAssertTrue(r.stdout.contains("0 passed, 0 failed"), "the runner itself is green: \(r.stdout)")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: the command sent no request: did its tests run?"), r.stderr)
        XCTAssertTrue(r.stderr.contains(String(repeating: "!", count: 40)), "framed so it stands out: \(r.stderr)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertTrue(xml.contains("<failure message=\"the command sent no request: did its tests run?\""), xml)
        XCTAssertTrue(xml.contains("skipped=\"3\""), "every recorded session unused: \(xml)")
    }

    func testAFailingCommandGivesItsOwnStatus() throws {
        try requireTools(curl: true)
        // curl -f exits 22 on the mock's 404 for an unrecorded path.
        let r = try CLI.run(["serve", Self.recording, "--exec", "--", "sh", "-c", "curl -fsS -o /dev/null \"$AUTHREPLAY_URL/nope\""])
        XCTAssertEqual(r.status, 22, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: sh exited with status 22"), r.stderr)
        XCTAssertTrue(r.stderr.contains("GET /nope → unmatched"), r.stderr)
        XCTAssertTrue(r.stderr.contains("mock: 0 requests served, 1 unmatched"), r.stderr)
    }

    func testUnmatchedFailsAGreenCommandUnlessAllowed() throws {
        try requireTools(curl: true)
        let dir = try scratchDirectory("authreplay-exec")
        // A login the recording answers, then a path it does not; curl without -f exits 0.
        let script = "curl -sS -o /dev/null -H 'Content-Type: application/json' --data '{\"username\":\"alice\",\"password\":\"correct-horse-battery\"}' \"$AUTHREPLAY_URL/auth/token\" && curl -sS -o /dev/null \"$AUTHREPLAY_URL/nope\""
        let strict = try CLI.run(["serve", Self.recording, "--junit", dir.appendingPathComponent("strict.xml").path, "--exec", "--", "sh", "-c", script])
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("mock: 1 request served, 1 unmatched, 0 WebSocket mismatches; 1 of 3 recorded sessions used"), strict.stderr)
        XCTAssertTrue(strict.stderr.contains("unmatched:\n  GET /nope → unmatched (auth absent); nearest"), strict.stderr)
        let strictXML = try String(contentsOfFile: dir.appendingPathComponent("strict.xml").path, encoding: .utf8)
        XCTAssertTrue(strictXML.contains("<testcase classname=\"\(Self.recording)\" name=\"session s1\" time=\"0.000\"/>"), strictXML)
        XCTAssertTrue(strictXML.contains("name=\"session s3\" time=\"0.000\">\n      <skipped message=\"not used"), strictXML)
        XCTAssertTrue(strictXML.contains("<testcase classname=\"unmatched\" name=\"GET /nope → unmatched"), strictXML)
        XCTAssertTrue(strictXML.contains("failures=\"1\""), strictXML)

        let allowed = try CLI.run(["serve", Self.recording, "--allow-unmatched", "--junit", dir.appendingPathComponent("allowed.xml").path, "--exec", "--", "sh", "-c", script])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        let allowedXML = try String(contentsOfFile: dir.appendingPathComponent("allowed.xml").path, encoding: .utf8)
        XCTAssertTrue(allowedXML.contains("failures=\"0\""), allowedXML)
        XCTAssertTrue(allowedXML.contains("unmatched (allowed by --allow-unmatched)"), allowedXML)
    }

    func testAWebSocketMismatchFailsTheRun() throws {
        try requireTools(python: true)
        let r = try CLI.run(["serve", Self.recording, "--exec", "--"] + Self.suite + ["--ws-message", "{\"type\":\"user_message\",\"content\":\"bye\"}"])
        // The suite fails (the mock closed 1008), so its status wins.
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("0 passed, 1 failed"), r.stdout)
        XCTAssertTrue(r.stderr.contains("1 WebSocket mismatch;"), r.stderr)
        XCTAssertTrue(r.stderr.contains("$.content expected \"hello\", got \"bye\""), r.stderr)
    }

    func testACommandThatCannotStartExits127() throws {
        let r = try CLI.run(["serve", Self.recording, "--exec", "--", "authreplay-no-such-command"])
        XCTAssertEqual(r.status, 127, r.stderr)
        XCTAssertTrue(r.stderr.contains("authreplay-no-such-command"), r.stderr)
    }

    func testStopSignalsReachTheCommandWhichStartsWithDefaultSignals() async throws {
        // The command's first line (stdout passes through) says it runs, and what it ignores.
        let script = "echo \"ready $(grep SigIgn /proc/self/status)\"; exec sleep 600"
        let run = try await ServerProcess.start(executable: CLI.executable, ["serve", "\(CLI.repositoryRoot)/\(Self.recording)", "--exec", "--", "sh", "-c", script])
        let ignored = try XCTUnwrap(UInt64(run.firstLine.split(separator: "\t").last ?? "", radix: 16), run.firstLine)
        XCTAssertEqual(ignored & (1 << (UInt64(SIGPIPE) - 1)), 0, "SIGPIPE at its default action in the command: \(run.firstLine)")
        XCTAssertEqual(ignored & (1 << (UInt64(SIGINT) - 1)), 0, run.firstLine)
        // SIGTERM to authreplay ends the command, whose status (128+15) is authreplay's.
        let status = try await run.stop(signal: SIGTERM, timeout: 30)
        XCTAssertEqual(status, 128 + SIGTERM)
    }

    func testUsageErrors() throws {
        let bare = try CLI.run(["serve", Self.recording, "--exec"])
        XCTAssertEqual(bare.status, 2)
        XCTAssertTrue(bare.stderr.contains("--exec needs a command after --"), bare.stderr)
        let junitAlone = try CLI.run(["serve", Self.recording, "--junit", "x.xml"])
        XCTAssertEqual(junitAlone.status, 2)
        XCTAssertTrue(junitAlone.stderr.contains("go with --exec"), junitAlone.stderr)
    }
}

/// A helper process's exit status (output discarded), for probing tools.
enum CLIProcess {
    static func run(_ argv: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
