import Foundation
import TrafficModel

/// Record-equivalent recordings of the staging service behaving well, built
/// in code: what a capture of yesterday's good build would hold.
enum StagingRecordings {
    static let capturedAt = Timestamp(iso8601: "2025-11-25T06:00:00.000000Z")!
    /// The recorded token: signed by a key the test server does not know and
    /// long expired, so it only works when chained or re-signed.
    static let recordedToken = TestStagingServer.sign(
        claims: .object([("sub", .string("alice")), ("iat", .int(1_764_050_400)), ("exp", .int(1_764_054_000)), ("jti", .string("4f1c2e0a-6a52-4c4e-9a43-0d9c2d0b7a11"))]),
        secret: Array("the-old-staging-secret-nobody-has".utf8)
    )

    static func login(id: String = "s1") -> Session {
        let body = #"{"username":"alice","password":"correct horse"}"#
        let answer = #"{"access_token":"\#(recordedToken)","token_type":"Bearer","expires_in":3600}"#
        return Session(
            id: id, client: Endpoint(host: "10.20.0.5", port: 51834), server: Endpoint(host: "10.20.0.9", port: 8000), start: 0,
            exchanges: [HTTPExchange(
                request: HTTPRequest(at: 0.012, method: "POST", target: "/auth/token", headers: [
                    HeaderField("Host", "staging.example.com"), HeaderField("Content-Type", "application/json"),
                    HeaderField("Content-Length", String(body.utf8.count)),
                ], body: .text(body), framing: .contentLength),
                response: HTTPResponse(at: 0.031, status: 200, reason: "OK", headers: [
                    HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", String(answer.utf8.count)),
                ], body: .text(answer), framing: .contentLength)
            )],
            end: SessionEnd(kind: .closed, at: 0.04, by: .client)
        )
    }

    static func webSocket(id: String = "s2", token: String = recordedToken) -> Session {
        func server(_ at: Double, _ text: String) -> WebSocketMessage { WebSocketMessage(direction: .server, at: at, opcode: .text, payload: .text(text)) }
        return Session(
            id: id, client: Endpoint(host: "10.20.0.5", port: 51836), server: Endpoint(host: "10.20.0.9", port: 8000), start: 1.1,
            exchanges: [HTTPExchange(
                request: HTTPRequest(at: 1.101, method: "GET", target: "/ws", headers: [
                    HeaderField("Host", "staging.example.com"), HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
                    HeaderField("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), HeaderField("Sec-WebSocket-Version", "13"),
                    HeaderField("Authorization", "Bearer \(token)"),
                ]),
                response: HTTPResponse(at: 1.198, status: 101, reason: "Switching Protocols", headers: [
                    HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
                    HeaderField("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ])
            )],
            websocket: WebSocketSession(messages: [
                server(1.204, #"{"type":"connection_established","connection_id":"0b7e6a8e-3c1d-4d0e-9f4a-2b8c1e5d7f90","user":"alice","timestamp":1764050401.204}"#),
                WebSocketMessage(direction: .client, at: 1.3, opcode: .text, payload: .text(#"{"type":"user_message","text":"hello"}"#),
                                 frames: [WebSocketFrameInfo(fin: false, opcode: .text, length: 10, masked: true), WebSocketFrameInfo(fin: true, opcode: .continuation, length: 28, masked: true)]),
                server(1.9, #"{"type":"agent_completed","run_id":"6f0d2c4b-9a1e-4b7f-8c3d-5e2a1f0b9c84","result":"ok","timestamp":1764050401.900}"#),
                WebSocketMessage(direction: .client, at: 2.0, opcode: .close, payload: .text(""), closeCode: 1000),
                WebSocketMessage(direction: .server, at: 2.01, opcode: .close, payload: .text(""), closeCode: 1000),
            ]),
            end: SessionEnd(kind: .closed, at: 2.02, by: .client)
        )
    }

    /// Login, then the WebSocket with the issued token.
    static var loginThenWebSocket: Recording {
        AuthAnalyzer().analyze(Recording(
            source: Source(kind: .handWritten, name: "staging, good build", tool: "tests"),
            capturedAt: capturedAt, sessions: [login(), webSocket()]
        ))
    }

    /// Only the WebSocket, with a token from outside the recording.
    static var webSocketOnly: Recording {
        AuthAnalyzer().analyze(Recording(
            source: Source(kind: .handWritten, name: "staging, good build", tool: "tests"),
            capturedAt: capturedAt, sessions: [webSocket(id: "ws")]
        ))
    }

    static func write(_ recording: Recording) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).json").path
        try RecordingCodec.encode(recording).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
