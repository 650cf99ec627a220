import Foundation
import TestSupport
import XCTest

/// Engine.IO heartbeats generated live (issue 15), against python-socketio
/// with a short heartbeat (`socketio_service.py --ping-interval 1
/// --ping-timeout 1.5`: its `open` packet says `"pingInterval":1000`).
///
/// 1. The real service is captured while its AsyncClient holds a session
///    for three pings, websocket-only, polling-then-upgrade and polling
///    only: the recording has the recorded `2`/`3` packets.
/// 2. The mock gives the same client the same transcript: it pings live at
///    the recorded interval (the recorded pings are not replayed, the
///    recorded pongs not awaited), so the client stays connected through
///    three pings (on long-polling a held GET is answered with a live ping
///    after the pingInterval, and the pong POST `ok`); a raw client that never answers a ping is closed after
///    the recorded pingTimeout, and the journal says why.
/// 3. `replay --pace recorded` holds the sessions as long as recorded
///    against the live service, whose pings it answers (unanswered, the
///    service would close the session after 2.5 s; on long-polling a pong
///    POST for each ping a GET brought), and renumbers the
///    client's ack ids (`421[…]` sent as `420[…]`, the live `430[…]` compared
///    as the recorded `431[…]`): every session passes.
///
/// Waits are on events (pings, the close, lines), never sleeps.
final class SocketIOHeartbeatTests: XCTestCase {
    static let heartbeat = ["--ping-interval", "1", "--ping-timeout", "1.5"]
    static let held = ["sio_heartbeat", "sio_heartbeat_upgrade", "sio_heartbeat_polling"]

    func testMockPingsLiveAndReplayAnswersLivePings() async throws {
        let peer = Peer.socketIO
        let authreplay = try await DifferentialTests.requirements(peer)
        let directory = try scratchDirectory("authreplay-sio-heartbeat")
        let recording = directory.appendingPathComponent("capture.json").path

        try await withDeadline(240) {
            let service = try await peer.startService(options: Self.heartbeat)
            defer { if service.process.isRunning { kill(service.process.processIdentifier, SIGTERM) } }
            let servicePort = try port(of: service)

            // 1. The real service, captured: the client held each session through three pings.
            let real = try await DifferentialTests.captureReal(authreplay, peer, servicePort: servicePort, recording: recording, scenarios: Self.held)
            XCTAssertEqual(real.filter { $0.contains(#""event": "held""#) && $0.contains(#""connected": true"#) }.count, 3, real.joined(separator: "\n"))
            let recordedHeartbeats = try Self.webSocketTexts(recording).filter { $0 == "2" || $0 == "3" }
            XCTAssertGreaterThanOrEqual(recordedHeartbeats.count, 4, "the recording holds the real pings and pongs")
            // Every session replays, the long-polling-only one's connections together, against the
            // live service and against the mock, after the python clients below used it (a new
            // polling client plays a used-up recorded session again; a login served again hands
            // out a token that ages from then).
            let pollingOnly = try Self.pollingOnlySessions(recording)
            XCTAssertGreaterThanOrEqual(pollingOnly.count, 2, "the polling-only session's connections")
            let all = try DifferentialTests.sessionIDs(recording)

            // 2. The mock pings live: the same transcript, held through three pings.
            let mock = try await DifferentialTests.startAuthreplay(authreplay, ["serve", recording, "--port", "0", "--jwt-secret", DifferentialTests.jwtSecret])
            defer { if mock.process.isRunning { kill(mock.process.processIdentifier, SIGTERM) } }
            let base = "http://127.0.0.1:\(try port(of: mock))"
            let served = try await peer.transcript(against: base, scenarios: Self.held)
            DifferentialTests.assertSameTranscript(real: real, mock: served, "heartbeat sessions against the mock")

            // A client that never answers a ping is closed once the recorded pingTimeout passed.
            let silent = try await peer.transcript(against: base, scenario: "sio_silent")
            XCTAssertTrue(silent.contains { $0.contains(#""event": "open""#) && $0.contains(#""ping_interval": 1000"#) }, silent.joined(separator: "\n"))
            XCTAssertTrue(silent.contains { $0.contains(#""event": "closed_by_server""#) && $0.contains(#""pings": 1"#) && $0.contains(#""code": 1000"#) },
                          silent.joined(separator: "\n"))
            let journal = await runToEnd(["python3", "-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())", base + "/__authreplay/journal"])
            XCTAssertTrue(journal.stdout.contains("engine.io ping timeout: no pong within 1500 ms"), journal.stdout + journal.stderr)

            // Replay against the mock: the mock pings, replay answers; the mock answers
            // the renumbered EVENT (`420[…]`) under the live id, which replay maps back.
            let againstMock = await DifferentialTests.runAuthreplay(authreplay, ["replay", recording, "--target", base, "--pace", "recorded", "--timeout", "5"])
            XCTAssertEqual(againstMock.status, 0, "replay against the mock\n\(againstMock.stdout)\n\(againstMock.stderr)")
            XCTAssertEqual(againstMock.lines.last, "\(all.count) passed, 0 failed", againstMock.stdout)
            XCTAssertTrue(againstMock.stdout.contains("socket.io ack ids sent fresh: recorded 1 as 0"), againstMock.stdout)
            _ = try await mock.stop()

            // 3. Replay at the recorded pace answers the live pings and renumbers ack ids.
            let replay = await DifferentialTests.runAuthreplay(authreplay, [
                "replay", recording, "--target", "http://127.0.0.1:\(servicePort)", "--pace", "recorded", "--timeout", "5",
                "--secret", "body:password=\(DifferentialTests.password)",
            ])
            XCTAssertEqual(replay.status, 0, "replay against the live service\n\(replay.stdout)\n\(replay.stderr)")
            XCTAssertEqual(replay.lines.last, "\(all.count) passed, 0 failed", replay.stdout)
            XCTAssertTrue(replay.stdout.contains("engine.io ping"), "the live pings were answered\n\(replay.stdout)")
            XCTAssertTrue(replay.stdout.contains("socket.io ack ids sent fresh: recorded 1 as 0"), replay.stdout)
            // Long-polling at the recorded pace: the recorded pings' GETs are sent, the live pings in them answered.
            XCTAssertTrue(replay.stdout.contains("engine.io long-polling: answered"), replay.stdout)
        }
    }

    /// The sessions of logical Engine.IO sessions that never upgraded (every connection `transport: polling`).
    static func pollingOnlySessions(_ recording: String) throws -> Set<String> {
        let sessions = try DifferentialTests.sessions(recording)
        let links = sessions.compactMap { session -> (id: String, sid: String, transport: String)? in
            guard let id = session["id"] as? String, let link = session["engineIO"] as? [String: Any],
                  let sid = link["sid"] as? String, let transport = link["transport"] as? String else { return nil }
            return (id, sid, transport)
        }
        let upgraded = Set(links.filter { $0.transport == "websocket" }.map(\.sid))
        return Set(links.filter { !upgraded.contains($0.sid) }.map(\.id))
    }

    /// Every WebSocket text message of the recording.
    static func webSocketTexts(_ recording: String) throws -> [String] {
        try DifferentialTests.sessions(recording).flatMap { session -> [String] in
            let messages = (session["websocket"] as? [String: Any])?["messages"] as? [[String: Any]] ?? []
            return messages.compactMap { $0["text"] as? String }
        }
    }
}
