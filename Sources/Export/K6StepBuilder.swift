import Replay
import TrafficModel

/// One `Replay.ReplayStep` as the data the k6 runtime (`K6Runtime`) walks.
struct K6StepBuilder {
    var locator = CredentialLocator.default
    private(set) var requests = 0
    private(set) var messages = 0
    private(set) var checks = 0

    /// Set by k6 itself (from the URL and the body) or by the WebSocket handshake.
    static let httpManaged: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "keep-alive"]
    static let webSocketManaged: Set<String> = httpManaged.union(["upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"])

    mutating func step(_ step: ReplayStep) -> JSONValue {
        requests += 1
        switch step {
        case .http(let s): return http(s)
        case .webSocket(let s): return webSocket(s)
        }
    }

    private mutating func http(_ step: HTTPStep) -> JSONValue {
        let request = step.request
        var members = common(kind: "http", request, managed: Self.httpManaged)
        switch request.body {
        case .text(let text)? where !text.isEmpty:
            members.append(("body", .string(text)))
            members.append(("bodyKind", .string(Self.kind(of: text, in: request))))
        case .binary(let bytes)? where !bytes.isEmpty:
            members.append(("bodyBase64", .string(Base64.encode(bytes))))
        case .text?, .binary?, nil:
            break
        }
        if let response = step.expectedResponse {
            members.append(("status", .int(response.status)))
            checks += 1
        }
        members.append(("semantic", semantic(step.expectedResponse?.body)))
        // What TokenChain.learn would learn from this response.
        let learn = step.expectedResponse.map { locator.issued(in: $0) }?.filter { $0.value.utf8.count >= TokenChain.minimumLength } ?? []
        members.append(("learn", .array(learn.map { .object([("location", .string($0.location)), ("recorded", .string($0.value))]) })))
        return .object(members)
    }

    private mutating func webSocket(_ step: WebSocketStep) -> JSONValue {
        var members = common(kind: "ws", step.handshake, managed: Self.webSocketManaged)
        let status = step.expectedResponse?.status ?? 101
        members.append(("status", .int(status)))
        checks += 1
        members.append(("semantic", status == 101 ? .object([]) : semantic(step.expectedResponse?.body)))
        var sends: [JSONValue] = []
        var expect: [JSONValue] = []
        for item in step.script {
            switch item {
            case .send(let message, let after):
                messages += 1
                var send: [(String, JSONValue)] = [("after", .int(after))]
                switch (message.opcode, message.payload) {
                case (.close, _):
                    send.append(("close", .int(message.closeCode ?? 1000)))
                case (.binary, let payload):
                    send.append(("base64", .string(Base64.encode(payload.bytes))))
                case (_, .text(let text)):
                    send.append(("text", .string(text)))
                    send.append(("kind", .string(Self.jsonKind(text))))
                case (_, .binary(let bytes)):
                    send.append(("base64", .string(Base64.encode(bytes))))
                }
                sends.append(.object(send))
            case .expect(let message) where message.opcode != .close:
                expect.append(semantic(message.payload))
                checks += 1
            case .expect:
                break
            }
        }
        members.append(("sends", .array(sends)))
        members.append(("expect", .array(expect)))
        if let close = step.expectedClose, close.by != nil {
            members.append(("close", .object([("code", close.code.map { .int($0) } ?? .null), ("by", .string(close.by?.rawValue ?? "server"))])))
            checks += 1
        } else {
            members.append(("close", .null))
        }
        return .object(members)
    }

    /// kind, method, path (for check names), target, headers.
    private func common(kind: String, _ request: HTTPRequest, managed: Set<String>) -> [(String, JSONValue)] {
        let headers = request.headers.filter { !managed.contains($0.name.lowercased()) }
        return [
            ("kind", .string(kind)),
            ("method", .string(request.method)),
            ("path", .string(request.path)),
            ("target", .string(request.target.hasPrefix("/") ? request.target : "/" + request.target)),
            ("headers", .array(headers.map { .array([.string($0.name), .string($0.value)]) })),
        ]
    }

    /// The recorded semantic members at the top of a JSON object body, scalars only.
    private func semantic(_ body: Body?) -> JSONValue {
        guard let text = body?.text, let json = try? JSONParser.parse(text), case .object(let members) = json else { return .object([]) }
        let keys = ComparisonOptions.defaultSemanticKeys
        var found: [(String, JSONValue)] = []
        for (name, value) in members where keys.contains(name.lowercased()) {
            switch value {
            case .string, .number, .bool: found.append((name, value))
            case .null, .array, .object: break
            }
        }
        return .object(found)
    }

    /// How a secret is encoded where it stands in a body (as `SecretEncoding` does).
    static func kind(of text: String, in request: HTTPRequest) -> String {
        if request.headers.first("Content-Type")?.lowercased().contains("application/x-www-form-urlencoded") == true { return "form" }
        return jsonKind(text)
    }

    static func jsonKind(_ text: String) -> String {
        (try? JSONParser.parse(text)) != nil ? "json" : "raw"
    }
}
