import Foundation
import TestSupport
import XCTest

/// Socket.IO end to end (issue 15), against python-socketio: its
/// `AsyncServer` on aiohttp (Tests/Peers/python/socketio_service.py: the
/// CONNECT auth payload checked, `agent_started` on connect, an
/// acknowledged `run` event, `agent_completed`, a `--regression`) driven by
/// its `AsyncClient` (socketio_client.py) starting on long-polling and
/// upgrading, and straight over WebSocket; a forged token and no token.
///
/// 1. the real service is captured on `lo` with libpcap;
/// 2. `authreplay serve` gives the client the same normalized transcript, in
///    capture order and each scenario alone: the recorded events and acks,
///    and the recorded CONNECT_ERROR for the forged and the missing token
///    (the mock judges the CONNECT auth like a header credential);
/// 3. `authreplay replay` passes against the healthy service (the live
///    Engine.IO `sid` replaces the recorded one in later requests) and fails
///    against the regression, naming AUTH_REQUIRED and the user_context error.
final class SocketIODifferentialTests: XCTestCase {
    func testPythonSocketIOServiceDrivenByItsAsyncClient() async throws {
        let peer = Peer.socketIO
        let authreplay = try await DifferentialTests.requirements(peer)
        let directory = try scratchDirectory("authreplay-socketio")
        let recording = directory.appendingPathComponent("capture.json").path

        try await withDeadline(240) {
            let service = try await peer.startService()
            defer { if service.process.isRunning { kill(service.process.processIdentifier, SIGTERM) } }
            let servicePort = try port(of: service)
            let scenarios = try await peer.scenarios()

            // 1. The real service, captured.
            let real = try await DifferentialTests.captureReal(authreplay, peer, servicePort: servicePort, recording: recording)
            XCTAssertEqual(real.filter { $0.contains(#""event": "ack""#) }.count, 2, real.joined(separator: "\n"))
            XCTAssertEqual(real.filter { $0.contains(#""event": "connect_error""#) }.count, 2, real.joined(separator: "\n"))

            // The CONNECT auth payloads are credential findings: the two issued tokens and the forged one.
            let connects = try DifferentialTests.sessions(recording).flatMap { $0["auth"] as? [[String: Any]] ?? [] }
                .filter { $0["location"] as? String == "message:40$.token" }
            XCTAssertEqual(connects.count, 3, "\(connects)")
            let verdicts = connects.compactMap { ($0["jwt"] as? [String: Any])?["verifiedBeforeRedaction"] as? String }
            XCTAssertEqual(verdicts.sorted(), ["invalid", "valid", "valid"])
            XCTAssertEqual(connects.filter { $0["issuedBy"] != nil }.count, 2, "the valid tokens were issued by the logins")

            // inspect reads the packets, not `42[…]`.
            let inspect = try await CLI.runOffThread(["inspect", recording])
            XCTAssertTrue(inspect.stdout.contains(#"← event "agent_started" {"type":"agent_started","#), inspect.stdout)
            XCTAssertTrue(inspect.stdout.contains(#"→ event "run" {"prompt":"plan"} (ack 1)"#), inspect.stdout)
            XCTAssertTrue(inspect.stdout.contains(#"← ack 1 [{"status":"ok","steps":4}]"#), inspect.stdout)
            XCTAssertTrue(inspect.stdout.contains(#"← connect_error {"message":"AUTH_REQUIRED","data":{"error":"bad signature"}}"#), inspect.stdout)
            XCTAssertTrue(inspect.stdout.contains("→ ping \"probe\""), inspect.stdout)

            // 2. The mock, every scenario in capture order, then each alone.
            try await DifferentialTests.assertMockMatchesReal(authreplay, recording, peer, real: real, scenarios: scenarios)

            // 3a. Replay passes against the healthy service.
            let sessions = try DifferentialTests.sessionIDs(recording)
            let replayArguments = ["--timeout", "5", "--secret", "body:password=\(DifferentialTests.password)"]
            let healthy = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(servicePort)"] + replayArguments)
            XCTAssertEqual(healthy.status, 0, "replay against the healthy service\n\(healthy.stdout)\n\(healthy.stderr)")
            XCTAssertEqual(healthy.lines.last, "\(sessions.count) passed, 0 failed", healthy.stdout)

            // 3b. Replay fails against the regression, naming the error.
            let broken = try await peer.startService(regression: true)
            defer { if broken.process.isRunning { kill(broken.process.processIdentifier, SIGTERM) } }
            let regression = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(try port(of: broken))"] + replayArguments)
            XCTAssertEqual(regression.status, 1, "replay against --regression\n\(regression.stdout)\n\(regression.stderr)")
            XCTAssertTrue(regression.stdout.contains(#"packet prefix expected "42", got "44""#), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("AUTH_REQUIRED"), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("user_context must be a UserExecutionContext instance"), regression.stdout)
        }
    }
}

extension Peer {
    /// python-socketio: AsyncServer on aiohttp, AsyncClient (polling → websocket, and websocket only).
    static let socketIO = Peer(
        name: "python-socketio",
        service: ["python3", peersDirectory + "/python/socketio_service.py"],
        client: ["python3", peersDirectory + "/python/socketio_client.py"],
        probe: ["python3", "-c", "import aiohttp, socketio, websockets"],
        install: "pip install aiohttp python-socketio websockets"
    )
}
