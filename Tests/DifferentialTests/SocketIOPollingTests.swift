import Foundation
import TestSupport
import XCTest

/// Socket.IO clients that stay on HTTP long-polling (issue 15), against
/// python-socketio: its AsyncClient with `transports=['polling']`
/// (socketio_client.py `sio_polling_only`, `sio_polling_forged`, and
/// `sio_polling_pair`: alice's and bob's clients polling at the same time).
///
/// 1. The real service is captured on `lo` with libpcap. Each logical
///    Engine.IO session spans several TCP connections (a GET held open while
///    POSTs go out beside it); the recording links each connection to its
///    session (`engineIO: {sid, transport}`).
/// 2. The mock gives the client the same transcript, in capture order and
///    each scenario alone: the CONNECT in a POST body gets the recorded
///    CONNECT ack and events, a forged token the recorded CONNECT_ERROR (the
///    GET that carries the answer is held until the CONNECT came, as the real
///    server held it), and two clients polling at once each get their own
///    session's packets (routed by `sid`: bob's ack says 6 steps, alice's 4).
/// 3. `authreplay replay` runs each logical session's connections at once
///    (a held GET beside the POST that releases it, the live sid in every
///    later request, ack ids fresh): it passes against the healthy service
///    and fails against its regression, naming AUTH_REQUIRED and the
///    user_context error.
final class SocketIOPollingTests: XCTestCase {
    static let scenarios = ["sio_polling_only", "sio_polling_forged", "sio_polling_pair"]

    func testPollingOnlyClientsAgainstTheMock() async throws {
        let peer = Peer.socketIO
        let authreplay = try await DifferentialTests.requirements(peer)
        let directory = try scratchDirectory("authreplay-sio-polling")
        let recording = directory.appendingPathComponent("capture.json").path

        try await withDeadline(360) {
            let service = try await peer.startService()
            defer { if service.process.isRunning { kill(service.process.processIdentifier, SIGTERM) } }
            let servicePort = try port(of: service)

            // 1. The real service, captured.
            let real = try await DifferentialTests.captureReal(authreplay, peer, servicePort: servicePort, recording: recording, scenarios: Self.scenarios)
            XCTAssertEqual(real.filter { $0.contains(#""event": "ack""#) }.count, 3, real.joined(separator: "\n"))
            XCTAssertTrue(real.contains { $0.contains(#""client": "b""#) && $0.contains(#""event": "ack""#) && $0.contains(#""steps": 6"#) }, real.joined(separator: "\n"))
            XCTAssertEqual(real.filter { $0.contains(#""event": "connect_error""#) && $0.contains("AUTH_REQUIRED") }.count, 1, real.joined(separator: "\n"))

            // Every Engine.IO connection is linked to its logical session: four of them, each on several connections.
            let links = try DifferentialTests.sessions(recording).compactMap { $0["engineIO"] as? [String: Any] }
            XCTAssertTrue(links.allSatisfy { $0["transport"] as? String == "polling" }, "\(links)")
            let bySID = Dictionary(grouping: links.compactMap { $0["sid"] as? String }, by: { $0 })
            XCTAssertEqual(bySID.count, 4, "\(links)")
            XCTAssertTrue(bySID.values.allSatisfy { $0.count >= 2 }, "each logical session spans a GET's connection and a POST's: \(bySID)")
            // inspect reads the link: `--json` carries it, the timeline heads each connection with its sid.
            let summary = try await CLI.runOffThread(["inspect", "--json", recording])
            XCTAssertEqual(summary.stdout.components(separatedBy: #""transport": "polling""#).count - 1, links.count, summary.stdout)
            let timeline = try await CLI.runOffThread(["inspect", recording])
            for sid in bySID.keys {
                XCTAssertEqual(timeline.stdout.components(separatedBy: "engine.io sid \(sid)\n").count - 1, bySID[sid]?.count, timeline.stdout)
            }
            // The CONNECTs in POST bodies are credential findings (two valid, one forged, bob's among the valid).
            let connects = try DifferentialTests.sessions(recording).flatMap { $0["auth"] as? [[String: Any]] ?? [] }
                .filter { $0["location"] as? String == "body:40$.token" }
            XCTAssertEqual(connects.count, 4, "\(connects)")

            // 2. The mock: capture order, then each scenario alone against a fresh mock.
            try await DifferentialTests.assertMockMatchesReal(authreplay, recording, peer, real: real, scenarios: Self.scenarios, named: true)

            // 3a. Replay runs each logical session's connections together (the GET the service
            // holds beside the POST that releases it) and passes against the healthy service.
            let sessions = try DifferentialTests.sessionIDs(recording)
            let replayArguments = ["--timeout", "5", "--secret", "body:password=\(DifferentialTests.password)"]
            let healthy = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(servicePort)"] + replayArguments)
            XCTAssertEqual(healthy.status, 0, "replay against the healthy service\n\(healthy.stdout)\n\(healthy.stderr)")
            XCTAssertEqual(healthy.lines.last, "\(sessions.count) passed, 0 failed", healthy.stdout)
            // Three valid sessions sent their EVENT under a fresh ack id; the client's last polls were not awaited.
            XCTAssertEqual(healthy.stdout.components(separatedBy: "engine.io long-polling: socket.io ack ids sent fresh: recorded 1 as 0").count - 1, 3, healthy.stdout)
            XCTAssertTrue(healthy.stdout.contains("the client's last poll, still held when it closed the session"), healthy.stdout)

            // 3b. Replay fails against the regression, naming the error in the GET that carried it.
            let broken = try await peer.startService(regression: true)
            defer { if broken.process.isRunning { kill(broken.process.processIdentifier, SIGTERM) } }
            let regression = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", "http://127.0.0.1:\(try port(of: broken))"] + replayArguments)
            XCTAssertEqual(regression.status, 1, "replay against --regression\n\(regression.stdout)\n\(regression.stderr)")
            XCTAssertTrue(regression.stdout.contains(#"packet 1: packet prefix expected "42", got "44""#), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("AUTH_REQUIRED"), regression.stdout)
            XCTAssertTrue(regression.stdout.contains("user_context must be a UserExecutionContext instance"), regression.stdout)
        }
    }
}
