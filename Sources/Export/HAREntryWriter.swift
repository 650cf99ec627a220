import TrafficModel

/// One HAR entry from one recorded exchange (HAR 1.2 §entries, with
/// Chrome's extensions). Times: `startedDateTime` is the session's start
/// for its first exchange (the connection was being set up), else the
/// request's time; `timings.blocked` covers the gap to the request,
/// `wait` the gap to the response, so `authreplay import` puts every time
/// back where it was, to the microsecond.
struct HAREntryWriter {
    let recording: Recording
    let session: Session
    let connection: String
    let isFirst: Bool
    private(set) var started = Timestamp(microseconds: 0)
    private(set) var binaryRequestBody = false

    init(recording: Recording, session: Session, connection: String, isFirst: Bool) {
        self.recording = recording
        self.session = session
        self.connection = connection
        self.isFirst = isFirst
    }

    mutating func entry(_ exchange: HTTPExchange, messages: [WebSocketMessage]) -> JSONValue {
        let request = exchange.request
        let startOffset = isFirst ? min(session.start, request.at) : request.at
        started = recording.capturedAt.adding(seconds: startOffset)
        let blocked = (request.at - startOffset) * 1000
        let responseAt = exchange.response.map { max($0.at, request.at) } ?? request.at
        let wait = (responseAt - request.at) * 1000

        var members: [(String, JSONValue)] = [
            ("startedDateTime", .string(started.iso8601)),
            ("time", .fixed(blocked + wait, decimals: 3)),
            ("request", requestJSON(request, upgrade: exchange.isWebSocketUpgrade)),
            ("response", responseJSON(exchange.response)),
            ("cache", .object([])),
            ("timings", .object([
                ("blocked", .fixed(blocked, decimals: 3)), ("dns", .int(-1)), ("ssl", .int(-1)), ("connect", .int(-1)),
                ("send", .int(0)), ("wait", .fixed(wait, decimals: 3)), ("receive", .int(0)),
            ])),
            ("serverIPAddress", .string(session.server.host)),
            ("connection", .string(connection)),
            ("_resourceType", .string(exchange.isWebSocketUpgrade ? "websocket" : "fetch")),
        ]
        if exchange.isWebSocketUpgrade {
            members.append(("_webSocketMessages", .array(messages.map(message))))
        }
        return .object(members)
    }

    /// `http://host:port/target`, the host as the request named it (Host),
    /// the port the connection went to, so the importer finds the server again.
    private func url(_ request: HTTPRequest, upgrade: Bool) -> String {
        let tls = session.server.port == 443
        let scheme = upgrade ? (tls ? "wss" : "ws") : (tls ? "https" : "http")
        var host = request.headers.first("Host").map(Self.hostPart) ?? session.server.host
        if host.isEmpty { host = session.server.host }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        return "\(scheme)://\(host):\(session.server.port)\(request.target.hasPrefix("/") ? request.target : "/" + request.target)"
    }

    /// The host of a Host field value (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`).
    static func hostPart(_ value: String) -> String {
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") { return String(value[...close]) }
        return String(value.prefix { $0 != ":" })
    }

    /// HAR's version text as Chrome writes it: `HTTP/1.1`, `h2`, `h3`.
    static func version(_ version: String) -> String {
        switch version {
        case "HTTP/2": return "h2"
        case "HTTP/3": return "h3"
        default: return version
        }
    }

    static func headers(_ fields: [HeaderField]) -> JSONValue {
        .array(fields.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
    }

    static func pairs(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })
    }

    private mutating func requestJSON(_ request: HTTPRequest, upgrade: Bool) -> JSONValue {
        let cookies = request.headers.all("Cookie").flatMap(CredentialLocator.cookiePairs)
        var members: [(String, JSONValue)] = [
            ("method", .string(request.method)),
            ("url", .string(url(request, upgrade: upgrade))),
            ("httpVersion", .string(Self.version(request.version))),
            ("headers", Self.headers(request.headers)),
            ("queryString", Self.pairs(CredentialLocator.queryPairs(request.query))),
            ("cookies", Self.pairs(cookies)),
            ("headersSize", .int(-1)),
            ("bodySize", .int(request.body?.count ?? 0)),
        ]
        if let body = request.body, body.count > 0 {
            var postData: [(String, JSONValue)] = [("mimeType", .string(request.headers.first("Content-Type") ?? ""))]
            switch body {
            case .text(let text):
                postData.append(("text", .string(text)))
            case .binary(let bytes):
                // HAR 1.2 has no encoding for postData; `encoding` as in `content` (the importer reads it).
                postData.append(("text", .string(Base64.encode(bytes))))
                postData.append(("encoding", .string("base64")))
                binaryRequestBody = true
            }
            members.append(("postData", .object(postData)))
        }
        return .object(members)
    }

    private func responseJSON(_ response: HTTPResponse?) -> JSONValue {
        guard let response else {
            // Chrome's shape for a request that got no answer.
            return .object([
                ("status", .int(0)), ("statusText", .string("")), ("httpVersion", .string("")), ("headers", .array([])),
                ("cookies", .array([])), ("content", .object([("size", .int(0)), ("mimeType", .string("x-unknown"))])),
                ("redirectURL", .string("")), ("headersSize", .int(-1)), ("bodySize", .int(-1)),
                ("_error", .string("no response was recorded")),
            ])
        }
        // The name=value pair before the attributes.
        let setCookies = response.headers.all("Set-Cookie").flatMap { CredentialLocator.cookiePairs(String($0.prefix { $0 != ";" })) }
        var content: [(String, JSONValue)] = [
            ("size", .int(response.body?.count ?? 0)),
            ("mimeType", .string(response.headers.first("Content-Type") ?? "x-unknown")),
        ]
        switch response.body {
        case .text(let text)?:
            content.append(("text", .string(text)))
        case .binary(let bytes)?:
            content.append(("text", .string(Base64.encode(bytes))))
            content.append(("encoding", .string("base64")))
        case nil:
            break
        }
        return .object([
            ("status", .int(response.status)),
            ("statusText", .string(response.reason)),
            ("httpVersion", .string(Self.version(response.version))),
            ("headers", Self.headers(response.headers)),
            ("cookies", Self.pairs(setCookies)),
            ("content", .object(content)),
            ("redirectURL", .string(response.headers.first("Location") ?? "")),
            ("headersSize", .int(-1)),
            ("bodySize", .int(response.body?.count ?? 0)),
        ])
    }

    /// One `_webSocketMessages` item, Chrome's shape.
    private func message(_ message: WebSocketMessage) -> JSONValue {
        let time = recording.capturedAt.adding(seconds: message.at)
        var members: [(String, JSONValue)] = [
            ("type", .string(message.direction == .client ? "send" : "receive")),
            ("time", .fixed(time.seconds, decimals: 6)),
            ("opcode", .int(Int(message.opcode.code))),
        ]
        switch message.payload {
        case .text(let text): members.append(("data", .string(text)))
        case .binary(let bytes): members.append(("data", .string(Base64.encode(bytes))))
        }
        if message.opcode == .close, let code = message.closeCode { members.append(("code", .int(code))) }
        return .object(members)
    }
}
