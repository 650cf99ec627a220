import Foundation
import MockStaging
import TestSupport
import TrafficModel

/// Recordings built in code for the tests, and the shipped one.
enum TestRecordings {
    static let repositoryRoot = Corpus.packageRoot

    static func shipped(_ name: String) throws -> Recording {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(repositoryRoot)/recordings/\(name)"))
        return try RecordingCodec.decode(Array(data))
    }

    /// A JWT with a fixed signature (nothing verifies it without a key).
    static func jwt(sub: String, exp: Int = 1_764_054_000, signature: String = "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg") -> String {
        let header = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"sub":"\#(sub)","iat":1764050400,"exp":\#(exp)}"#.utf8), url: true, padding: false)
        return "\(header).\(claims).\(signature)"
    }

    static let token = jwt(sub: "alice")
    static let tampered = jwt(sub: "alice", signature: "dGFtcGVyZWQtc2lnbmF0dXJlLXh4eHh4eA")

    static func request(_ at: Double, _ method: String, _ target: String, headers: [HeaderField] = [], body: String? = nil) -> HTTPRequest {
        HTTPRequest(
            at: at, method: method, target: target, headers: [HeaderField("Host", "staging.example.com")] + headers,
            body: body.map(Body.text), framing: body == nil ? .none : .contentLength
        )
    }

    static func response(_ at: Double, _ status: Int, _ reason: String, headers: [HeaderField] = [], body: String? = nil) -> HTTPResponse {
        HTTPResponse(
            at: at, status: status, reason: reason,
            headers: headers + (body.map { [HeaderField("Content-Length", String($0.utf8.count))] } ?? []),
            body: body.map(Body.text), framing: body == nil ? .none : .contentLength
        )
    }

    static let upgradeHeaders = [
        HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
        HeaderField("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), HeaderField("Sec-WebSocket-Version", "13"),
    ]

    static let switching = response(0, 101, "Switching Protocols", headers: [
        HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
        HeaderField("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ])

    static func server(_ at: Double, _ text: String) -> WebSocketMessage {
        WebSocketMessage(direction: .server, at: at, opcode: .text, payload: .text(text))
    }

    static func client(_ at: Double, _ text: String) -> WebSocketMessage {
        WebSocketMessage(direction: .client, at: at, opcode: .text, payload: .text(text))
    }

    static func close(_ direction: Direction, _ at: Double, _ code: Int, _ reason: String) -> WebSocketMessage {
        WebSocketMessage(direction: direction, at: at, opcode: .close, payload: .text(reason), closeCode: code)
    }

    static func session(_ id: String, start: Double, _ exchanges: [HTTPExchange], websocket: WebSocketSession? = nil, end: SessionEnd.Kind = .closed) -> Session {
        Session(
            id: id, client: Endpoint(host: "10.0.0.5", port: 50000), server: Endpoint(host: "10.0.0.9", port: 8000),
            start: start, exchanges: exchanges, websocket: websocket,
            end: SessionEnd(kind: end, at: start + 5, by: .server)
        )
    }

    /// Login issues `token`; the WebSocket with it is accepted and talks
    /// (server, client, server, server, client, close 1000); a tampered token
    /// and no token are answered 401 before the upgrade.
    static func chat(gap: Double = 0.001) -> Recording {
        var upgraded = switching
        upgraded.at = 1.01
        let login = HTTPExchange(
            request: request(0.1, "POST", "/auth/token", headers: [HeaderField("Content-Type", "application/json")],
                             body: #"{"username":"alice","password":"pw"}"#),
            response: response(0.11, 200, "OK", headers: [HeaderField("Content-Type", "application/json")],
                               body: #"{"access_token":"\#(token)","token_type":"Bearer"}"#)
        )
        let ws = HTTPExchange(
            request: request(1.0, "GET", "/ws?room=1", headers: upgradeHeaders + [HeaderField("Authorization", "Bearer \(token)")]),
            response: upgraded
        )
        let messages = [
            server(1.01 + gap, #"{"type":"connection_established","room":1}"#),
            client(1.5, #"{"type":"subscribe","channel":"news"}"#),
            server(1.5 + gap, #"{"type":"subscribed","channel":"news"}"#),
            server(1.5 + 2 * gap, #"{"type":"event","n":1}"#),
            client(2.0, #"{"type":"bye"}"#),
            close(.server, 2.0 + gap, 1000, "done"),
            close(.client, 2.0 + 2 * gap, 1000, "done"),
        ]
        let tamperedExchange = HTTPExchange(
            request: request(3.0, "GET", "/ws?room=1", headers: upgradeHeaders + [HeaderField("Authorization", "Bearer \(tampered)")]),
            response: response(3.01, 401, "Unauthorized", headers: [
                HeaderField("WWW-Authenticate", #"Bearer error="invalid_token""#), HeaderField("content-type", "application/json"),
            ], body: #"{"error":"invalid_token"}"#)
        )
        let anonymous = HTTPExchange(
            request: request(4.0, "GET", "/ws?room=1", headers: upgradeHeaders),
            response: response(4.01, 401, "Unauthorized", headers: [HeaderField("WWW-Authenticate", "Bearer")],
                               body: #"{"error":"missing_token"}"#)
        )
        return Recording(
            source: Source(kind: .handWritten, name: "chat", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [
                session("s1", start: 0, [login]),
                session("s2", start: 1, [ws], websocket: WebSocketSession(messages: messages)),
                session("s3", start: 3, [tamperedExchange]),
                session("s4", start: 4, [anonymous]),
            ]
        )
    }

    /// Three answers to the same GET, in order.
    static func counter() -> Recording {
        let exchanges = (1...3).map { n in
            HTTPExchange(
                request: request(Double(n), "GET", "/counter?b=2&a=1"),
                response: response(Double(n) + 0.01, 200, "OK", headers: [HeaderField("X-Count", String(n))], body: "count \(n)")
            )
        }
        let other = HTTPExchange(request: request(5, "GET", "/other"), response: response(5.01, 200, "OK", body: "other"))
        return Recording(
            source: Source(kind: .handWritten, name: "counter", tool: "tests"),
            capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [session("c1", start: 0, exchanges + [other])]
        )
    }
}
