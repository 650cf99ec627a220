import TestSupport
@testable import TrafficModel

/// Random but valid recordings for property tests.
struct RecordingGenerator {
    var rng: SplitMix64

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func time() -> Double { Double(int(0...10_000_000)) / 1_000_000 }

    mutating func string() -> String {
        let pool: [String] = ["a", "Z", "0", " ", "\"", "\\", "\n", "é", "😀", "{", "}", "\u{01}", "/", "="]
        return (0..<int(0...12)).map { _ in pool[int(0...pool.count - 1)] }.joined()
    }

    mutating func token() -> String {
        let pool = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        return String((0..<int(1...12)).map { _ in pool[int(0...pool.count - 1)] })
    }

    mutating func body() -> Body? {
        switch int(0...2) {
        case 0: return nil
        case 1: return .text(string())
        default: return .binary((0..<int(1...20)).map { _ in UInt8(int(0...255)) } + [0xFF])
        }
    }

    mutating func headers() -> [HeaderField] {
        (0..<int(0...5)).map { _ in HeaderField(token(), string()) }
    }

    mutating func json(depth: Int = 0) -> JSONValue {
        switch depth > 2 ? int(0...3) : int(0...5) {
        case 0: return .null
        case 1: return .bool(bool())
        case 2: return .number(["0", "-1", "1.5", "2e10", "1764050400"][int(0...4)])
        case 3: return .string(string())
        case 4: return .array((0..<int(0...3)).map { _ in json(depth: depth + 1) })
        default: return .object((0..<int(0...3)).map { _ in (token(), json(depth: depth + 1)) })
        }
    }

    mutating func recording() -> Recording {
        let sessions = (0..<int(0...4)).map { i in session(id: "s\(i + 1)") }
        return Recording(
            source: Source(kind: Source.Kind.allCases[int(0...Source.Kind.allCases.count - 1)], name: string(), tool: "authreplay test"),
            capturedAt: Timestamp(microseconds: Int64(int(0...2_000_000_000)) * 1_000_000 + Int64(int(0...999_999))),
            redaction: bool() ? RedactionSummary(enabled: bool(), counts: [token(): int(0...9)]) : nil,
            sessions: sessions
        )
    }

    /// Events (ids and types without line breaks, as on the wire) or chunk sizes.
    mutating func stream() -> ResponseStream {
        if bool() {
            return ResponseStream(headAt: time(), chunks: (0..<int(1...4)).map { _ in TimedChunk(at: time(), bytes: int(0...99)) }, truncated: bool())
        }
        let events = (0..<int(0...4)).map { _ in
            ServerSentEvent(at: time(), id: bool() ? token() : nil, event: bool() ? token() : nil, data: bool() ? string() : nil,
                            retry: bool() ? int(0...9999) : nil, comments: bool() ? [string()] : [])
        }
        return ResponseStream(headAt: time(), events: events, truncated: bool())
    }

    mutating func session(id: String) -> Session {
        let exchanges = (0..<int(0...3)).map { _ in
            HTTPExchange(
                request: HTTPRequest(at: time(), method: ["GET", "POST", "HEAD"][int(0...2)], target: "/" + token(), headers: headers(), body: body(),
                                     framing: BodyFraming.allCases[int(0...3)], trailers: bool() ? headers() : []),
                response: bool() ? nil : HTTPResponse(at: time(), status: int(100...599), reason: string(), headers: headers(), body: body(),
                                                      framing: BodyFraming.allCases[int(0...3)],
                                                      interim: bool() ? [InterimResponse(at: time(), status: 100, reason: "Continue", headers: headers())] : [],
                                                      stream: int(0...3) == 0 ? stream() : nil)
            )
        }
        var websocket: WebSocketSession?
        if bool() {
            websocket = WebSocketSession(subprotocol: bool() ? token() : nil, extensions: bool() ? "permessage-deflate" : nil, messages: (0..<int(0...5)).map { _ in message() })
        }
        let auth: [AuthFinding] = exchanges.isEmpty ? [] : (0..<int(0...2)).map { _ in
            AuthFinding(
                role: bool() ? .presented : .issued, exchange: int(0...exchanges.count - 1), location: "header:" + token(),
                scheme: AuthFinding.Scheme.allCases[int(0...5)], schemeName: bool() ? token() : nil, user: bool() ? string() : nil,
                jwt: bool() ? JWTInfo(header: .object([("alg", .string("HS256"))]), claims: .object([("sub", .string(string())), ("x", json())]),
                                      expiresIn: bool() ? -12.5 : nil, issuedAgo: 60, notBeforeIn: nil, signature: .unverified) : nil,
                issuedBy: bool() ? IssuedReference(session: "s1", exchange: 0, location: "body:$.access_token") : nil
            )
        }
        return Session(
            id: id, client: Endpoint(host: bool() ? "10.0.0.\(int(1...254))" : "fe80::1", port: UInt16(int(1...65535))),
            server: Endpoint(host: "127.0.0.1", port: 8080), start: time(), exchanges: exchanges, websocket: websocket,
            end: bool() ? SessionEnd(kind: SessionEnd.Kind.allCases[int(0...2)], at: time(), by: bool() ? .server : nil) : nil,
            anomalies: (0..<int(0...2)).map { _ in
                Anomaly(kind: Anomaly.Kind.allCases[int(0...Anomaly.Kind.allCases.count - 1)], direction: bool() ? .client : nil,
                        at: bool() ? time() : nil, detail: string(), bytes: bool() ? int(0...9999) : nil, data: body())
            },
            auth: auth
        )
    }

    mutating func message() -> WebSocketMessage {
        let opcode = WebSocketOpcode.allCases[int(0...5)]
        var payload: Body = bool() ? .text(string()) : .binary([0x00, 0xFF, UInt8(int(0...255))])
        var code: Int?
        if opcode == .close {
            code = bool() ? [1000, 1008, 4001][int(0...2)] : nil
            if code == nil { payload = .text("") }
        }
        let frames: [WebSocketFrameInfo]? = bool() ? nil : (0..<int(1...3)).map { i in
            WebSocketFrameInfo(fin: bool(), opcode: i == 0 ? opcode : .continuation, rsv: UInt8(int(0...7)), length: int(0...70_000), masked: bool())
        }
        return WebSocketMessage(direction: bool() ? .client : .server, at: time(), opcode: opcode, payload: payload, closeCode: code, compressed: bool(), frames: frames)
    }
}
