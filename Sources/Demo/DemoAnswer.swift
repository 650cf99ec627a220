import TrafficModel

/// One answer the demo client received, in arrival order.
struct DemoAnswer: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Hashable, Sendable { case response, message, close }
    var step: String
    var kind: Kind
    /// HTTP status of a response; nil for messages.
    var status: Int?
    var contentType: String?
    /// Response body or message payload; for a close, its reason.
    var payload: [UInt8]
    var closeCode: Int?

    var text: String { String(decoding: payload, as: UTF8.self) }
    var json: JSONValue? { try? JSONParser.parse(payload) }

    var description: String {
        switch kind {
        case .response: return "\(step): HTTP \(status ?? 0) \(text)"
        case .message: return "\(step): message \(text)"
        case .close: return "\(step): close \(closeCode.map(String.init) ?? "-")"
        }
    }

    /// The answer as redaction writes it into a recording (the mock serves the redacted recording).
    func redacted(_ redactor: Redactor) -> DemoAnswer {
        var copy = self
        switch kind {
        case .response:
            let headers = contentType.map { [HeaderField("Content-Type", $0)] } ?? []
            let response = HTTPResponse(at: 0, status: status ?? 0, reason: "", headers: headers, body: payload.isEmpty ? nil : Body(bytes: payload))
            copy.payload = redactor.redact(response: response).body?.bytes ?? []
        case .message:
            copy.payload = redactor.redact(message: WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: Body(bytes: payload))).payload.bytes
        case .close:
            break
        }
        return copy
    }
}
