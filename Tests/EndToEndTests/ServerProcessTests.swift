import Foundation
import TestSupport
import XCTest

/// `ServerProcess.start` (the helper the command tests start servers with)
/// gives up on a process that never prints its first line: within the
/// deadline, not when the process ends, and the process does not outlive it.
final class ServerProcessTests: XCTestCase {
    func testAProcessThatNeverPrintsFailsToStartWithinTheDeadlineAndIsStopped() async throws {
        try await assertStartGivesUp(["/bin/sleep", "60"], endedBy: SIGTERM)
    }

    /// One that ignores SIGTERM (the ignored disposition survives `exec`) is killed.
    func testAProcessThatIgnoresSIGTERMIsKilled() async throws {
        try await assertStartGivesUp(["/bin/sh", "-c", "trap '' TERM; exec /bin/sleep 60"], endedBy: SIGKILL)
    }

    /// Stdout closing before a line (the process exited) fails at once, without waiting for the deadline.
    func testAProcessThatExitsWithoutALineFailsAtOnce() async throws {
        let started = ContinuousClock.now
        do {
            let server = try await ServerProcess.start(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", "printf 'half a line'"], deadline: 30)
            XCTFail("started: \(server.firstLine)")
        } catch let failure as ServerProcess.StartFailure {
            XCTAssertTrue(failure.reason.contains("stdout closed before a full line"), failure.description)
            XCTAssertTrue(failure.reason.contains("half a line"), failure.description)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
    }

    func testTheFirstLineIsReadWhileTheProcessKeepsRunning() async throws {
        let server = try await ServerProcess.start(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", "echo 'listening on http://127.0.0.1:1'; exec /bin/sleep 60"], deadline: 10)
        XCTAssertEqual(server.baseURL, "http://127.0.0.1:1")
        XCTAssertTrue(server.process.isRunning)
        let status = try await server.stop(signal: SIGTERM, timeout: 5)
        XCTAssertEqual(status, SIGTERM)
        XCTAssertEqual(server.process.terminationReason, .uncaughtSignal)
    }

    private func assertStartGivesUp(_ command: [String], endedBy signal: Int32, file: StaticString = #filePath, line: UInt = #line) async throws {
        let started = ContinuousClock.now
        do {
            let server = try await ServerProcess.start(executable: URL(fileURLWithPath: command[0]), Array(command.dropFirst()), deadline: 1)
            XCTFail("started although nothing was printed: \(server.firstLine)", file: file, line: line)
        } catch let failure as ServerProcess.StartFailure {
            XCTAssertTrue(failure.reason.contains("no line on stdout within 1.0 s"), failure.description, file: file, line: line)
            XCTAssertFalse(failure.stillRunning, failure.description, file: file, line: line)
            XCTAssertEqual(failure.terminationSignal, signal, failure.description, file: file, line: line)
        }
        // 1 s deadline, up to 1 s more for SIGTERM to work before SIGKILL: far from the 60 s the process would take.
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(5), "start took \(elapsed)", file: file, line: line)
    }
}
