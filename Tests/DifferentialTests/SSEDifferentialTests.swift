import Foundation
import TestSupport
import XCTest

/// Server-Sent Events end to end (issue 15), against peers authreplay was not
/// written around: an aiohttp `StreamResponse` service (Tests/Peers/python/
/// sse_service.py: a login, an auth-required stream with ids, retry, a
/// comment and multi-line data, `Last-Event-ID` resume, a `--regression`)
/// driven by httpx with httpx-sse (sse_client.py).
///
/// 1. the real service is captured on `lo` with libpcap while the client runs
///    every scenario; the stream is recorded as timed events;
/// 2. `authreplay serve` of that recording gives the client the same
///    normalized transcript, in capture order and each scenario alone (the
///    alone `sse_resume` is served from the full recorded stream, resumed
///    after `Last-Event-ID: 2`); under `--pace recorded` every event comes
///    within 20 ms of its recorded offset from the head;
/// 3. `authreplay replay` passes against the healthy service and fails,
///    naming AUTH_REQUIRED and the user_context error, against the
///    regression; a recording with one event changed fails against the
///    healthy service, naming that event.
final class SSEDifferentialTests: XCTestCase {
    /// What `--pace recorded` may add to or take from an event's recorded
    /// offset (the issue's bound).
    static let paceTolerance = 0.020

    func testAiohttpSSEServiceDrivenByHttpxSSEClient() async throws {
        let peer = Peer.sse
        let authreplay = try await DifferentialTests.requirements(peer)
        let directory = try scratchDirectory("authreplay-sse")
        let recording = directory.appendingPathComponent("capture.json").path

        try await withDeadline(240) {
            let service = try await peer.startService()
            defer { if service.process.isRunning { kill(service.process.processIdentifier, SIGTERM) } }
            let servicePort = try port(of: service)
            let scenarios = try await peer.scenarios()

            // 1. The real service, captured.
            let real = try await DifferentialTests.captureReal(authreplay, peer, servicePort: servicePort, recording: recording)
            XCTAssertEqual(real.filter { $0.contains(#""event": "sse""#) }.count, 4 + 2, real.joined(separator: "\n"))

            let streams = try Self.recordedStreams(recording)
            XCTAssertEqual(streams.count, 2, "the full stream and the resumed one")
            let full = try XCTUnwrap(streams.first)
            XCTAssertEqual(full.events.map { $0["id"] as? String }, [nil, "1", "2", "3"])
            XCTAssertEqual(full.events.first?["retry"] as? Int, 2000)
            XCTAssertEqual(full.events.first?["comments"] as? [String], ["connected"])
            XCTAssertEqual(full.events[2]["data"] as? String, "thinking about it\nstill thinking")
            XCTAssertEqual(streams.last?.events.map { $0["id"] as? String }, [nil, "3"])

            // 2a. The mock, every scenario in capture order, then each alone.
            try await DifferentialTests.assertMockMatchesReal(authreplay, recording, peer, real: real, scenarios: scenarios)

            // 2b. --pace recorded keeps each event's offset from the head.
            let offsets = try await Self.pacedOffsets(authreplay, recording, peer)
            let recorded = full.events.map { ($0["at"] as? Double ?? 0) - full.headAt }
            XCTAssertEqual(offsets.count, recorded.count, "events under --pace recorded")
            let errors = zip(offsets, recorded).map { abs($0 - $1) }
            print("[sse] --pace recorded: recorded offsets \(recorded.map { Self.ms($0) }), served \(offsets.map { Self.ms($0) }), largest error \(Self.ms(errors.max() ?? 0))")
            for (index, error) in errors.enumerated() {
                XCTAssertLessThanOrEqual(error, Self.paceTolerance, "event \(index + 1): served at \(Self.ms(offsets[index])), recorded at \(Self.ms(recorded[index]))")
            }

            // 3a. Replay passes against the healthy service.
            let sessions = try DifferentialTests.sessionIDs(recording)
            let replayArguments = ["--timeout", "5", "--secret", "body:password=\(DifferentialTests.password)"]
            let healthy = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(servicePort)"] + replayArguments)
            XCTAssertEqual(healthy.status, 0, "replay against the healthy service\n\(healthy.stdout)\n\(healthy.stderr)")
            XCTAssertEqual(healthy.lines.last, "\(sessions.count) passed, 0 failed", healthy.stdout)

            // 3b. A changed event in the recording is caught, by number and type.
            let changed = directory.appendingPathComponent("changed.json").path
            let text = try String(contentsOfFile: recording, encoding: .utf8)
            XCTAssertTrue(text.contains(#"\"result\": \"ok\""#))
            try text.replacingOccurrences(of: #"\"result\": \"ok\""#, with: #"\"result\": \"failed\""#)
                .write(toFile: changed, atomically: true, encoding: .utf8)
            let caught = await DifferentialTests.runAuthreplay(authreplay, ["replay", changed, "--target", "http://127.0.0.1:\(servicePort)"] + replayArguments)
            XCTAssertEqual(caught.status, 1, "replay of a changed event\n\(caught.stdout)\n\(caught.stderr)")
            XCTAssertTrue(caught.stdout.contains("event 4 (agent_completed id 3): data: $.result expected \"failed\", got \"ok\""), caught.stdout)

            // 3c. Replay fails against the regression, naming the error.
            let broken = try await peer.startService(regression: true)
            defer { if broken.process.isRunning { kill(broken.process.processIdentifier, SIGTERM) } }
            let regression = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(try port(of: broken))"] + replayArguments)
            XCTAssertEqual(regression.status, 1, "replay against --regression\n\(regression.stdout)\n\(regression.stderr)")
            XCTAssertTrue(regression.stdout.contains("AUTH_REQUIRED"), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("user_context must be a UserExecutionContext instance"), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("event 2: expected agent_started id 1"), regression.stdout)
        }
    }

    /// The recorded event streams, in capture order: head time and events.
    static func recordedStreams(_ recording: String) throws -> [(headAt: Double, events: [[String: Any]])] {
        var streams: [(Double, Double, [[String: Any]])] = []
        for session in try DifferentialTests.sessions(recording) {
            for exchange in session["exchanges"] as? [[String: Any]] ?? [] {
                guard let response = exchange["response"] as? [String: Any], let stream = response["stream"] as? [String: Any] else { continue }
                let request = exchange["request"] as? [String: Any]
                streams.append((request?["at"] as? Double ?? 0, stream["headAt"] as? Double ?? 0, stream["events"] as? [[String: Any]] ?? []))
            }
        }
        return streams.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    /// Each event's arrival after the head, as the client saw it from a
    /// fresh mock under `--pace recorded` (the `sse_stream` scenario alone).
    static func pacedOffsets(_ authreplay: URL, _ recording: String, _ peer: Peer) async throws -> [Double] {
        let mock = try await DifferentialTests.startAuthreplay(authreplay, [
            "serve", recording, "--port", "0", "--jwt-secret", DifferentialTests.jwtSecret, "--pace", "recorded",
        ])
        defer { if mock.process.isRunning { kill(mock.process.processIdentifier, SIGTERM) } }
        let output = await runToEnd(peer.client + ["--base", "http://127.0.0.1:\(try port(of: mock))", "--scenario", "sse_stream", "--timings"], timeout: 60)
        guard output.status == 0 else { throw PeerFailure("sse_client --timings exited \(output.status): \(output.stderr)") }
        return try output.lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let at = object["at"] as? Double else {
                throw PeerFailure("not a timing line: \(line)")
            }
            return at
        }
    }

    static func ms(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
}

extension Peer {
    /// aiohttp `StreamResponse` SSE service, httpx + httpx-sse client.
    static let sse = Peer(
        name: "python-sse",
        service: ["python3", peersDirectory + "/python/sse_service.py"],
        client: ["python3", peersDirectory + "/python/sse_client.py"],
        probe: ["python3", "-c", "import aiohttp, httpx, httpx_sse, websockets"],
        install: "pip install aiohttp httpx httpx-sse websockets"
    )
}
