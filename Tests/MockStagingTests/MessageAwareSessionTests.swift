import AsyncHTTPClient
import MockStaging
import NIOWebSocket
import TestSupport
import TrafficModel
import XCTest

/// Recorded sessions that share a handshake, chosen by the client's own
/// messages: each client, run alone or in any order, gets its own recorded
/// transcript. Real servers, swift-websocket's client, real sockets.
final class MessageAwareSessionTests: XCTestCase {
    var http: HTTPClient!

    override func setUp() {
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    override func tearDown() async throws {
        try await http.shutdown()
    }

    /// What a client saw, comparable as a whole.
    struct Transcript: Equatable, CustomStringConvertible {
        var texts: [String]
        var close: Int?
        var reason: String?

        init(_ texts: [String], close: Int?, reason: String?) {
            self.texts = texts
            self.close = close
            self.reason = reason
        }

        init(_ outcome: WebSocketOutcome) {
            texts = outcome.texts
            close = outcome.closeCode.map { Int(UInt16(webSocketErrorCode: $0)) }
            reason = outcome.closeReason
        }

        var description: String { "\(texts) closed \(close.map(String.init) ?? "-") \(reason ?? "")" }
    }

    private func start(_ recording: Recording, verifier: Bool = false, _ configure: (inout MockStagingServer.Configuration) -> Void = { _ in }) async throws -> MockStagingServer {
        var configuration = MockStagingServer.Configuration(port: 0)
        if verifier { configuration.verifier = HMACJWTVerifier(secret: TestRecordings.stagingSecret) }
        configure(&configuration)
        return try await MockStagingServer.start(recordings: [recording], configuration: configuration)
    }

    // MARK: - An auth message chooses the session

    enum Client: String, CaseIterable {
        /// Logs in, then sends the token it was given in an auth message.
        case valid
        /// Sends a token with a forged signature the recording never saw.
        case forged
        /// Sends no token at all.
        case anonymous

        var expected: Transcript {
            switch self {
            case .valid: return Transcript([#"{"type":"auth_ok"}"#, #"{"type":"data","n":1}"#], close: 1000, reason: "done")
            case .forged: return Transcript([#"{"type":"error","error_code":"AUTH_INVALID"}"#], close: 4401, reason: "invalid token")
            case .anonymous: return Transcript([#"{"type":"error","error_code":"AUTH_REQUIRED"}"#], close: 4401, reason: "auth required")
            }
        }
    }

    private func run(_ client: Client, on server: MockStagingServer) async throws -> Transcript {
        let first: String
        switch client {
        case .valid:
            let login = try await Clients.http(http, .POST, server.baseURL + "/auth/token", body: #"{"username":"alice","password":"pw"}"#)
            let token = try XCTUnwrap(try JSONParser.parse(login.body)["access_token"]?.stringValue)
            first = #"{"type":"auth","token":"\#(token)"}"#
        case .forged:
            first = #"{"type":"auth","token":"\#(TestRecordings.liveForgery)"}"#
        case .anonymous:
            first = #"{"type":"hello"}"#
        }
        return Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws", first: [first]))
    }

    func testEachClientAloneGetsItsOwnRecordedSession() async throws {
        for verifier in [false, true] {
            for client in Client.allCases {
                let server = try await start(TestRecordings.messageAuth(), verifier: verifier)
                let transcript = try await run(client, on: server)
                XCTAssertEqual(transcript, client.expected, "\(client) alone, verifier \(verifier)")
                try await server.stop()
            }
        }
    }

    func testEveryOrderGivesEveryClientItsOwnRecordedSession() async throws {
        let orders: [[Client]] = [
            [.valid, .forged, .anonymous], [.valid, .anonymous, .forged], [.forged, .valid, .anonymous],
            [.forged, .anonymous, .valid], [.anonymous, .valid, .forged], [.anonymous, .forged, .valid],
        ]
        for verifier in [false, true] {
            for order in orders {
                let server = try await start(TestRecordings.messageAuth(), verifier: verifier)
                for client in order {
                    let transcript = try await run(client, on: server)
                    XCTAssertEqual(transcript, client.expected, "\(client) in order \(order), verifier \(verifier)")
                }
                try await server.stop()
            }
        }
    }

    func testARedactedRecordingIsChosenFromTheSameClientMessages() async throws {
        // Tokens in the recorded messages are pseudonyms now; live messages are redacted the same way.
        let redacted = Redactor().redact(TestRecordings.messageAuth()).0
        XCTAssertFalse(redacted.sessions[1].websocket?.messages[0].payload.text?.contains(TestRecordings.validToken) ?? true)
        for order in [Client.allCases, Client.allCases.reversed()] {
            let server = try await start(redacted)
            for client in order {
                let transcript = try await run(client, on: server)
                XCTAssertEqual(transcript, client.expected, "\(client) in order \(order), redacted recording")
            }
            try await server.stop()
        }
    }

    func testTheJournalNamesTheSessionTheMessagesChose() async throws {
        let server = try await start(TestRecordings.messageAuth())
        _ = try await run(.anonymous, on: server)
        let chosen = server.journal.compactMap { entry -> String? in
            if case .webSocketChosen(let reference, let released, let remaining) = entry {
                return "\(reference.session) over \(released?.session ?? "-"), \(remaining) left"
            }
            return nil
        }
        XCTAssertEqual(chosen, ["anonymous over happy, 1 left"])
        try await server.stop()
    }

    func testRepeatedIdenticalClientsWalkThroughTheRecordedSessionsInOrder() async throws {
        // Two accepted sessions on the same handshake, told apart by what the server sent.
        var recording = TestRecordings.messageAuth()
        var second = recording.sessions[1]
        second.id = "happy-2"
        second.websocket?.messages[2] = TestRecordings.server(1.12, #"{"type":"data","n":2}"#)
        recording.sessions.append(second)
        let server = try await start(recording)
        var data: [String] = []
        for _ in 0..<3 { data.append(try await run(.valid, on: server).texts.last ?? "") }
        XCTAssertEqual(data, [#"{"type":"data","n":1}"#, #"{"type":"data","n":2}"#, #"{"type":"data","n":2}"#], "in order, then the last repeats")
        try await server.stop()
    }

    // MARK: - Unmatched messages

    func testAMessageNoSessionExpectedClosesWith1008NamingTheNearestSessions() async throws {
        let server = try await start(TestRecordings.messageAuth(), verifier: true)
        let expired = TestRecordings.signed(with: TestRecordings.stagingSecret, exp: 1_764_050_401)
        let outcome = Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws", first: [#"{"type":"auth","token":"\#(expired)"}"#]))
        XCTAssertEqual(outcome.texts, [])
        XCTAssertEqual(outcome.close, 1008)
        let reason = try XCTUnwrap(outcome.reason)
        XCTAssertLessThanOrEqual(reason.utf8.count, 123)
        XCTAssertTrue(reason.hasPrefix("unexpected message; nearest happy: message credential: auth class expected issued, got expired"), reason)
        let report = server.journal.compactMap { entry -> [String]? in
            if case .webSocketMismatch(_, let differences, "closed 1008") = entry { return differences }
            return nil
        }.first ?? []
        XCTAssertTrue(report.contains("message-auth session happy exchange 0: message credential: auth class expected issued, got expired"), "\(report)")
        XCTAssertTrue(report.contains("message-auth session forged exchange 0: message credential: auth class expected invalid-signature, got expired"), "\(report)")
        try await server.stop()
    }

    func testWhenEveryCandidateRejectsTheRecordedRejectionIsSent() async throws {
        let server = try await start(TestRecordings.messageAuth(includeHappy: false))
        let outcome = Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws", first: [#"{"type":"subscribe"}"#]))
        XCTAssertEqual(outcome, Transcript([#"{"type":"error","error_code":"AUTH_INVALID"}"#], close: 4401, reason: "invalid token"))
        XCTAssertTrue(server.journal.contains { entry in
            if case .webSocketMismatch(let reference, _, "answered with the recorded rejection") = entry { return reference.session == "forged" }
            return false
        }, "\(server.journal)")
        try await server.stop()
    }

    func testLenientIgnoresAnUnmatchedMessageAndWaitsForAKnownOne() async throws {
        let server = try await start(TestRecordings.messageAuth()) { $0.mismatchPolicy = .lenient }
        let outcome = Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)/ws", first: [#"{"type":"subscribe"}"#, #"{"type":"hello"}"#]))
        XCTAssertEqual(outcome, Client.anonymous.expected)
        try await server.stop()
    }

    // MARK: - graphql-ws and Socket.IO

    func testGraphQLConnectionInitAuthorizationChoosesTheSession() async throws {
        let accepted = Transcript(
            [#"{"type":"connection_ack"}"#, #"{"type":"next","id":"1","payload":{"data":{"me":"alice"}}}"#, #"{"type":"complete","id":"1"}"#],
            close: 1000, reason: "done"
        )
        let refused = Transcript([], close: 4403, reason: "Forbidden")
        @Sendable func client(_ token: String) -> (first: [String], reply: @Sendable (String) -> [String]) {
            ([#"{"type":"connection_init","payload":{"Authorization":"Bearer \#(token)"}}"#],
             { $0.contains("connection_ack") ? [#"{"id":"1","type":"subscribe","payload":{"query":"{ me }"}}"#] : [] })
        }
        for order in [[true, false], [false, true]] {
            let server = try await start(TestRecordings.graphQL(), verifier: true)
            for valid in order {
                let (first, reply) = client(valid ? TestRecordings.validToken : TestRecordings.liveForgery)
                let outcome = Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)/graphql", first: first, reply: reply))
                XCTAssertEqual(outcome, valid ? accepted : refused, "\(valid ? "valid" : "forged") in order \(order)")
            }
            try await server.stop()
        }
    }

    func testSocketIOConnectTokenChoosesTheSession() async throws {
        for order in [[true, false], [false, true]] {
            let server = try await start(TestRecordings.socketIO(), verifier: true)
            for valid in order {
                let token = valid ? TestRecordings.validToken : TestRecordings.liveForgery
                let sentConnect = Box(false)
                let outcome = Transcript(try await Clients.webSocket("ws://127.0.0.1:\(server.port)\(TestRecordings.socketIOPath)") { text in
                    guard text.hasPrefix("0{"), !sentConnect.value else { return [] }
                    sentConnect.update { $0 = true }
                    return [#"40{"token":"\#(token)"}"#]
                })
                // The open packet comes before the client speaks: both sessions
                // agree on it but for its sid, so the leading session's is sent.
                XCTAssertTrue(outcome.texts.first?.hasPrefix(#"0{"sid":""#) ?? false, "\(outcome)")
                let expected = valid
                    ? Transcript([#"40{"sid":"conn-aaaa"}"#, #"42["welcome",{"user":"alice"}]"#], close: 1000, reason: "done")
                    : Transcript([#"44{"message":"invalid token"}"#], close: 4401, reason: "unauthorized")
                XCTAssertEqual(Transcript(Array(outcome.texts.dropFirst()), close: outcome.close, reason: outcome.reason), expected, "\(valid ? "valid" : "forged") in order \(order)")
            }
            try await server.stop()
        }
    }
}
