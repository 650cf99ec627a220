import MockStaging
import TrafficModel

/// Recordings whose WebSocket sessions share a handshake and part at the
/// client's first message, which carries (or lacks) the credential.
extension TestRecordings {
    /// The staging key the recordings' valid tokens are signed with.
    static let stagingSecret = Array("staging-test-secret-0123456789abcdef".utf8)

    /// An HS256 JWT for alice signed with `secret`.
    static func signed(with secret: [UInt8], sub: String = "alice", exp: Int = 1_764_054_000) -> String {
        let header = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let claims = Base64.encode(Array(#"{"sub":"\#(sub)","iat":1764050400,"exp":\#(exp)}"#.utf8), url: true, padding: false)
        let input = "\(header).\(claims)"
        let signature = HMACAlgorithm.hs256.authenticationCode(Array(input.utf8), key: secret)
        return "\(input).\(Base64.encode(signature, url: true, padding: false))"
    }

    static let validToken = signed(with: stagingSecret)
    /// The forged token the recording has (signed with another key).
    static let recordedForgery = signed(with: Array("an-attackers-key-0000000000000000".utf8))
    /// Another forgery, never seen by the recording: it must match by class, not by value.
    static let liveForgery = signed(with: Array("another-attackers-key-11111111111".utf8))

    static func upgrade(_ at: Double, _ target: String) -> HTTPExchange {
        var upgraded = switching
        upgraded.at = at + 0.01
        return HTTPExchange(request: request(at, "GET", target, headers: upgradeHeaders), response: upgraded)
    }

    /// One upgraded session on `target` at `start` with these messages.
    static func webSocketSession(_ id: String, start: Double, _ target: String, _ messages: [WebSocketMessage]) -> Session {
        session(id, start: start, [upgrade(start, target)], websocket: WebSocketSession(messages: messages))
    }

    /// A recording written here, captured at 2025-11-25T06:00:00Z (the JWTs' `iat`).
    static func handWritten(_ name: String, _ sessions: [Session]) -> Recording {
        Recording(source: Source(kind: .handWritten, name: name, tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400), sessions: sessions)
    }

    /// Login issues `validToken`; three sessions on `GET /ws` with no header
    /// credential: the token in an auth message (accepted), a forged token
    /// (`AUTH_INVALID`, 4401), no token (`AUTH_REQUIRED`, 4401).
    static func messageAuth(includeHappy: Bool = true) -> Recording {
        let login = HTTPExchange(
            request: request(0.1, "POST", "/auth/token", headers: [HeaderField("Content-Type", "application/json")],
                             body: #"{"username":"alice","password":"pw"}"#),
            response: response(0.11, 200, "OK", headers: [HeaderField("Content-Type", "application/json")],
                               body: #"{"access_token":"\#(validToken)","token_type":"Bearer"}"#)
        )
        let happy = webSocketSession("happy", start: 1, "/ws", [
            client(1.1, #"{"type":"auth","token":"\#(validToken)"}"#),
            server(1.11, #"{"type":"auth_ok"}"#),
            server(1.12, #"{"type":"data","n":1}"#),
            close(.server, 1.13, 1000, "done"),
            close(.client, 1.14, 1000, "done"),
        ])
        let forged = webSocketSession("forged", start: 2, "/ws", [
            client(2.1, #"{"type":"auth","token":"\#(recordedForgery)"}"#),
            server(2.11, #"{"type":"error","error_code":"AUTH_INVALID"}"#),
            close(.server, 2.12, 4401, "invalid token"),
            close(.client, 2.13, 4401, "invalid token"),
        ])
        let anonymous = webSocketSession("anonymous", start: 3, "/ws", [
            client(3.1, #"{"type":"hello"}"#),
            server(3.11, #"{"type":"error","error_code":"AUTH_REQUIRED"}"#),
            close(.server, 3.12, 4401, "auth required"),
            close(.client, 3.13, 4401, "auth required"),
        ])
        return handWritten("message-auth", [session("login", start: 0, [login])] + (includeHappy ? [happy] : []) + [forged, anonymous])
    }

    /// graphql-ws: `connection_init` with `payload.Authorization: "Bearer …"`;
    /// the valid token is acknowledged and a subscription answered, a forged
    /// one is closed with 4403.
    static func graphQL() -> Recording {
        let accepted = webSocketSession("gql-ok", start: 1, "/graphql", [
            client(1.1, #"{"type":"connection_init","payload":{"Authorization":"Bearer \#(validToken)"}}"#),
            server(1.11, #"{"type":"connection_ack"}"#),
            client(1.2, #"{"type":"subscribe","id":"1","payload":{"query":"{ me }"}}"#),
            server(1.21, #"{"type":"next","id":"1","payload":{"data":{"me":"alice"}}}"#),
            server(1.22, #"{"type":"complete","id":"1"}"#),
            close(.server, 1.3, 1000, "done"),
            close(.client, 1.31, 1000, "done"),
        ])
        let refused = webSocketSession("gql-forbidden", start: 2, "/graphql", [
            client(2.1, #"{"type":"connection_init","payload":{"Authorization":"Bearer \#(recordedForgery)"}}"#),
            close(.server, 2.11, 4403, "Forbidden"),
            close(.client, 2.12, 4403, "Forbidden"),
        ])
        return handWritten("graphql-ws", [accepted, refused])
    }

    static let socketIOPath = "/socket.io/?EIO=4&transport=websocket"

    static func engineIOOpen(_ sid: String) -> String {
        #"0{"sid":"\#(sid)","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
    }

    /// Socket.IO over a WebSocket: the Engine.IO open packet (its `sid`
    /// differs per connection), then the client's CONNECT with its token.
    static func socketIO() -> Recording {
        let accepted = webSocketSession("io-ok", start: 1, socketIOPath, [
            server(1.02, engineIOOpen("AAAAaaaa1111")),
            client(1.1, #"40{"token":"\#(validToken)"}"#),
            server(1.11, #"40{"sid":"conn-aaaa"}"#),
            server(1.12, #"42["welcome",{"user":"alice"}]"#),
            close(.server, 1.2, 1000, "done"),
            close(.client, 1.21, 1000, "done"),
        ])
        let refused = webSocketSession("io-refused", start: 2, socketIOPath, [
            server(2.02, engineIOOpen("BBBBbbbb2222")),
            client(2.1, #"40{"token":"\#(recordedForgery)"}"#),
            server(2.11, #"44{"message":"invalid token"}"#),
            close(.server, 2.2, 4401, "unauthorized"),
            close(.client, 2.21, 4401, "unauthorized"),
        ])
        return handWritten("socket-io", [accepted, refused])
    }
}
