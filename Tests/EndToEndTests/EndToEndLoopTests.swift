import AsyncHTTPClient
import Capture
import ExampleStagingService
import Foundation
import HTTPTypes
import MockStaging
import NIOCore
import NIOWebSocket
import Replay
import TestSupport
import TrafficModel
import WSClient
import XCTest

/// The whole loop through the recording proxy (issue 7, end-to-end tests 2–4):
/// record a real client against the example service, serve the recording and
/// run the same client against the mock, replay it against the healthy and the
/// regressed service.
final class EndToEndLoopTests: XCTestCase {

    /// Everything the client saw, in order: response bodies, and per WebSocket its texts and close.
    struct Transcript: Equatable, CustomStringConvertible {
        var responses: [String] = []
        var webSockets: [String] = []
        var description: String { (responses + webSockets).joined(separator: "\n") }
    }

    private static func tampered(_ token: String) -> String {
        var characters = Array(token)
        let index = characters.count - 10
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }

    /// Login, /api/me, the agent WebSocket with each token placement, then no token and a tampered token.
    /// Against the mock, `token` is the one the mock's login answered (the recorded one).
    private static func runClient(baseURL: String) async throws -> (Transcript, token: String) {
        var transcript = Transcript()
        let login = try await Clients.http(
            HTTPClient.shared, .POST, baseURL + "/auth/token", headers: [("Content-Type", "application/json")],
            body: #"{"username":"alice","password":"correct-horse-battery"}"#
        )
        XCTAssertEqual(login.status, 200, login.body)
        transcript.responses.append("\(login.status) \(login.body)")
        let token = try XCTUnwrap(login.json?["access_token"]?.stringValue)
        let me = try await Clients.http(HTTPClient.shared, .GET, baseURL + "/api/me", headers: [("Authorization", "Bearer \(token)")])
        transcript.responses.append("\(me.status) \(me.body)")

        let ws = baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
        let placements: [(String, [(HTTPField.Name, String)])] = [
            (ws, [(.authorization, "Bearer \(token)")]),
            (ws + "?token=\(token)", []),
            (ws, [(.secWebSocketProtocol, "jwt, \(token)")]),
        ]
        for (url, headers) in placements {
            let outcome = try await Clients.webSocket(url, headers: headers) { text in
                switch (try? JSONParser.parse(text))?["type"]?.stringValue {
                case "connection_established": return [.text(#"{"type":"user_message","content":"hello"}"#)]
                case "agent_completed": return [.close]
                default: return []
                }
            }
            transcript.webSockets.append("\(outcome.texts) close \(outcome.closeCode.map { "\($0)" } ?? "-")")
        }
        for url in [ws, ws + "?token=\(Self.tampered(token))"] {
            let outcome = try await Clients.webSocket(url)
            transcript.webSockets.append("\(outcome.texts) close \(outcome.closeCode.map { "\($0)" } ?? "-")")
        }
        return (transcript, token)
    }

    private func replay(_ recording: Recording, against service: StagingService) async throws -> ReplayReport {
        let target = ReplayTarget(host: service.host, port: service.port)
        let plan = try ReplayPlan.build([ReplayPlan.Input(name: "loop.json", recording: recording)], target: target)
        return await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
    }

    func testRecordServeAndReplayThroughTheProxy() async throws {
        let service = try await StagingService.start(configuration: .init())
        let regressed = try await StagingService.start(configuration: .init(regression: .userContext))
        var stopped = false
        let proxy = try await RecordingProxy.start(configuration: .init(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: service.host, port: service.port)
        ))
        do {
            // Record.
            let (live, _) = try await withDeadline(20) { try await Self.runClient(baseURL: proxy.baseURL) }
            let recording = try await proxy.stop()
            stopped = true
            XCTAssertEqual(live.webSockets.count, 5)
            for agent in live.webSockets.prefix(3) {
                XCTAssertTrue(agent.contains("connection_established") && agent.contains("agent_completed"), agent)
                XCTAssertTrue(agent.hasSuffix("close normalClosure"), agent)
            }
            for refused in live.webSockets.suffix(2) {
                XCTAssertTrue(refused.contains("AUTH_REQUIRED"), refused)
                XCTAssertTrue(refused.hasSuffix("close policyViolation"), refused)
            }
            let upgrades = recording.sessions.filter { $0.websocket != nil }
            XCTAssertEqual(upgrades.count, 5, "one recorded session per WebSocket")
            let placements = upgrades.compactMap { $0.auth.first?.location }
            XCTAssertTrue(placements.contains("header:Authorization"), "\(placements)")

            // Serve the recording; the same client gets exactly what the service sent.
            let mock = try await MockStagingServer.start(recordings: [recording])
            do {
                let (mocked, _) = try await withDeadline(20) { try await Self.runClient(baseURL: mock.baseURL) }
                XCTAssertEqual(mocked.responses, live.responses)
                XCTAssertEqual(mocked.webSockets, live.webSockets)
            } catch {
                XCTFail("against the mock: \(error)")
            }
            try await mock.stop()

            // Replay against the healthy service: all pass.
            let healthy = try await replay(recording, against: service)
            XCTAssertEqual(healthy.failed, 0, healthy.lines.joined(separator: "\n"))
            XCTAssertEqual(healthy.executed, recording.sessions.count, healthy.lines.joined(separator: "\n"))
            XCTAssertEqual(healthy.exitCode, 0)

            // Against the user-context regression: the authenticated WebSockets fail with the AUTH_REQUIRED diff.
            let broken = try await replay(recording, against: regressed)
            let text = broken.lines.joined(separator: "\n")
            XCTAssertEqual(broken.failed, 3, text)
            XCTAssertEqual(broken.exitCode, 1)
            XCTAssertTrue(text.contains("$.type") && text.contains("error_message"), text)
            XCTAssertTrue(text.contains("AUTH_REQUIRED"), text)
            XCTAssertTrue(broken.junitXML().contains("<failure"), "JUnit reports the failures")
        } catch {
            XCTFail("\(error)")
        }
        if !stopped { _ = try? await proxy.stop() }
        try await regressed.stop()
        try await service.stop()
    }
}
