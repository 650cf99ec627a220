import Fixtures
import TestSupport
import TrafficModel
import XCTest

final class ReductionTests: XCTestCase {
    func shipped(_ name: String) throws -> Recording {
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: CLI.repositoryRoot + "/recordings/" + name))
        return try RecordingCodec.decode(Array(bytes))
    }

    func message(_ direction: Direction, _ opcode: WebSocketOpcode = .text, _ text: String = "m", code: Int? = nil) -> WebSocketMessage {
        WebSocketMessage(direction: direction, at: 0, opcode: opcode, payload: .text(text), closeCode: code)
    }

    /// A client message goes with the server's answer; a greeting and a close the server started stay.
    func testStepsTakeTheirAnswersAndLeaveTheEnds() {
        let messages = [
            message(.server, .text, "hello"),
            message(.client, .text, "a"), message(.server, .text, "a1"), message(.server, .text, "a2"),
            message(.client, .ping), message(.client, .binary, "b"), message(.server, .text, "b1"),
            message(.server, .close, code: 1008), message(.client, .close, code: 1008),
        ]
        let session = Session(id: "s", client: Endpoint(host: "a", port: 1), server: Endpoint(host: "b", port: 2), start: 0, websocket: WebSocketSession(messages: messages))
        let steps = Reduction.steps(of: session)
        XCTAssertEqual(steps.map(\.messages), [1..<5, 5..<7], "a client ping goes with the step before it")

        var recording = Recording(source: .init(kind: .live, name: "t", tool: "t"), capturedAt: Timestamp(microseconds: 0), sessions: [session])
        recording.sessions[0].exchanges = [HTTPExchange(
            request: HTTPRequest(at: 0, method: "GET", target: "/ws", version: "HTTP/1.1", headers: []),
            response: HTTPResponse(at: 0, version: "HTTP/1.1", status: 101, reason: "", headers: []))]
        let kept = Reduction.keep(recording, sessions: [0], steps: [0: [1]])
        XCTAssertEqual(kept.sessions[0].websocket?.messages.map(\.payload.text), ["hello", "b", "b1", "m", "m"])
    }

    /// A client-started close is a step: removing it takes the server's answer along.
    func testAClientCloseIsAStep() {
        let messages = [message(.client, .text, "a"), message(.client, .close, code: 1000), message(.server, .close, code: 1000)]
        let session = Session(id: "s", client: Endpoint(host: "a", port: 1), server: Endpoint(host: "b", port: 2), start: 0, websocket: WebSocketSession(messages: messages))
        XCTAssertEqual(Reduction.steps(of: session).map(\.messages), [0..<1, 1..<3])
    }

    /// Findings follow their exchanges; a reference to a removed issuer goes, a kept one is renumbered.
    func testAuthFindingsFollowTheirExchanges() throws {
        let recording = try shipped("user-context-regression.json")
        XCTAssertEqual(recording.sessions[1].auth.first?.issuedBy?.session, "s1")
        let alone = Reduction.keep(recording, sessions: [1])
        XCTAssertEqual(alone.sessions.map(\.id), ["s2"])
        XCTAssertNil(alone.sessions[0].auth.first?.issuedBy, "its issuer is gone")
        XCTAssertEqual(alone.sessions[0].auth.count, recording.sessions[1].auth.count)

        let both = Reduction.keep(recording, sessions: [0, 1])
        XCTAssertEqual(both, recording, "keeping everything changes nothing")

        let noUpgrade = Reduction.keep(recording, sessions: [1], exchanges: [1: []])
        XCTAssertNil(noUpgrade.sessions[0].websocket, "without its upgrade there is no WebSocket")
        XCTAssertEqual(noUpgrade.sessions[0].auth, [])
    }

    /// The minimizer over a pure predicate: the session, exchange and step that matter, with the runs counted.
    func testMinimizerReducesEveryLevel() async throws {
        let recording = try shipped("login-and-websocket.json")
        let ws = try XCTUnwrap(recording.sessions.firstIndex { $0.websocket != nil })
        let steps = Reduction.steps(of: recording.sessions[ws])
        XCTAssertGreaterThan(steps.count, 1)
        // "Reproduces" when the WebSocket's last client step is there.
        let last = steps.count - 1
        let result = try await Minimizer().minimize(recording) { selection in
            let candidate = selection.apply(to: recording)
            guard let session = candidate.sessions.first(where: { $0.id == recording.sessions[ws].id }), session.websocket != nil else { return false }
            let kept = selection.steps[ws] ?? Array(steps.indices)
            return kept.contains(last)
        }
        XCTAssertEqual(result.recording.sessions.map(\.id), [recording.sessions[ws].id])
        XCTAssertEqual(result.selection.steps[ws], [last])
        XCTAssertEqual(result.after.sessions, 1)
        XCTAssertGreaterThan(result.runs, 2)
        XCTAssertFalse(result.budgetReached)

        // Past the budget nothing more is tried: what is kept is what was shown to reproduce.
        let capped = try await Minimizer(maximumRuns: 1).minimize(recording) { _ in true }
        XCTAssertTrue(capped.budgetReached)
        XCTAssertEqual(capped.runs, 1)
        XCTAssertEqual(capped.recording, recording)
    }

    func testNotReproducedIsAnError() async throws {
        let recording = try shipped("auth-required.json")
        do {
            _ = try await Minimizer().minimize(recording) { _ in false }
            XCTFail("expected notReproduced")
        } catch {
            XCTAssertEqual(error, FixturesError(.notReproduced, ""))
        }
    }
}
