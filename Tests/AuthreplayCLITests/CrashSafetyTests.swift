import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `import` killed at random points (issue 8, crash safety): after SIGKILL the
/// output is the previous complete file or a complete new one, never half a
/// JSON document; after SIGINT/SIGTERM it holds every session read before
/// the signal, and the exit status says the import was cut short.
final class CrashSafetyTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A 20-session WebSocket capture (6 MB) from the benchmark generator:
    /// long enough in a debug build that a signal lands mid-import.
    func makeCapture() throws -> String {
        let capture = path("big.pcap")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "\(CLI.repositoryRoot)/scripts/benchmarks/make-ws-capture.py", capture, "--sessions", "20", "--seed", "7"]
        try python.run()
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0, "make-ws-capture.py failed")
        return capture
    }

    func testImportKilledAtRandomPointsNeverLeavesAHalfWrittenRecording() throws {
        let capture = try makeCapture()
        let started = Date()
        XCTAssertEqual(try CLI.run(["import", capture, "--output", path("full.json")]).status, 0)
        let fullDuration = Date().timeIntervalSince(started)
        let full = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("full.json"))))
        XCTAssertEqual(full.sessions.count, 20)
        let messagesByClient = Dictionary(full.sessions.map { ($0.client.description, $0.websocket?.messages.count ?? 0) }, uniquingKeysWith: { a, _ in a })

        let previous = try Data(contentsOf: URL(fileURLWithPath: "\(CLI.repositoryRoot)/recordings/auth-required.json"))
        // Fixed fractions of a full run: repeatable, spread from the first packets to the commit.
        let fractions = [0.1, 0.35, 0.6, 0.85, 0.2, 0.5]
        var outcomes: [String: Int] = [:]
        for round in 0..<fractions.count {
            let signal: Int32 = [SIGKILL, SIGINT, SIGTERM][round % 3]
            let output = path("out-\(round).json")
            try previous.write(to: URL(fileURLWithPath: output))
            let delay = fullDuration * fractions[round]
            let status = try runAndSignal(["import", capture, "--output", output], signal: signal, after: delay)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
            if bytes == previous {
                // Killed before the new recording was committed: the old one is untouched.
                outcomes["previous", default: 0] += 1
                XCTAssertTrue(signal == SIGKILL || status == nil, "SIGINT/SIGTERM must write what was read (round \(round))")
                continue
            }
            let recording: Recording
            do {
                recording = try RecordingCodec.decode(bytes)
            } catch {
                XCTFail("round \(round), signal \(signal) after \(delay) s: the output is not a complete recording: \(error)")
                continue
            }
            outcomes[signal == SIGKILL ? "complete new" : "interrupted", default: 0] += 1
            if signal == SIGKILL {
                // A SIGKILL can only leave a fully committed new file: the import
                // either finished before the signal (exit 0) or was killed after
                // renaming the file into place (no exit status). Either way the
                // file holds every session with every message.
                XCTAssertTrue(status == 0 || status == nil, "round \(round): exit \(String(describing: status))")
                XCTAssertEqual(recording.sessions.count, 20, "round \(round): a SIGKILL can only leave a fully committed new file")
                for session in recording.sessions {
                    XCTAssertEqual(
                        session.websocket?.messages.count ?? 0, messagesByClient[session.client.description],
                        "round \(round): session \(session.client) is not complete"
                    )
                }
            } else {
                // Every session that ended before the signal is there in full; the
                // last ones may end where the import stopped.
                XCTAssertTrue(status == 0 || status == 3, "exit \(String(describing: status))")
                if status == 3 { XCTAssertLessThanOrEqual(recording.sessions.count, 20) }
                for session in recording.sessions {
                    let expected = try XCTUnwrap(messagesByClient[session.client.description], "unknown session \(session.client)")
                    let got = session.websocket?.messages.count ?? 0
                    XCTAssertLessThanOrEqual(got, expected)
                    if session.end?.kind != .cut { XCTAssertEqual(got, expected, "a session that ended before the signal is complete") }
                }
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("out-\(round).json.partial") }
            if signal != SIGKILL { XCTAssertEqual(leftovers, [], "the temporary file is removed after a clean stop") }
        }
        XCTAssertGreaterThan(outcomes["interrupted", default: 0], 0, "no signal landed mid-import: \(outcomes)")
    }

    /// Runs the CLI and sends `signal` after `delay` seconds; the exit status,
    /// or nil when the process died of the signal.
    func runAndSignal(_ arguments: [String], signal: Int32, after delay: TimeInterval) throws -> Int32? {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            XCTFail("authreplay did not stop within 60 s of signal \(signal)")
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? nil : process.terminationStatus
    }
}
