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
final class SocketIOPollingTests: XCTestCase {
    static let scenarios = ["sio_polling_only", "sio_polling_forged", "sio_polling_pair"]

    func testPollingOnlyClientsAgainstTheMock() async throws {
        let peer = Peer.socketIO
        let authreplay = try await DifferentialTests.requirements(peer)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-sio-polling-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let recording = directory.appendingPathComponent("capture.json").path

        try await withDeadline(300) {
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
        }
    }
}
