/// What counts as an error worth a reader's eye: HTTP 4xx/5xx, WebSocket
/// error frames, unusual close codes. One place, shared by `inspect`'s
/// timeline and its JSON summary.
public enum ErrorSignals {
    public static func isError(_ response: HTTPResponse) -> Bool { response.status >= 400 }

    public static func isError(_ message: WebSocketMessage) -> Bool {
        switch message.opcode {
        case .close:
            guard let code = message.closeCode else { return false }
            return code != 1000 && code != 1001
        case .text:
            guard let text = message.payload.text else { return false }
            return isErrorPayload(text)
        case .binary, .continuation, .ping, .pong:
            return false
        }
    }

    /// An event named like an error (`error`, `auth_error`) or carrying an error payload.
    public static func isError(_ event: ServerSentEvent) -> Bool {
        event.type.lowercased().contains("error") || event.data.map(isErrorPayload) ?? false
    }

    /// A JSON object with an `error` or `error_code` member, or a `type` that
    /// mentions "error" (`error_message`, `auth_error`).
    public static func isErrorPayload(_ text: String) -> Bool {
        guard text.first == "{", let json = try? JSONParser.parse(text), case .object(let members) = json else { return false }
        for (key, value) in members {
            switch key {
            case "error", "error_code", "errorCode":
                if !value.isNull { return true }
            case "type", "event":
                if value.stringValue?.lowercased().contains("error") == true { return true }
            default:
                continue
            }
        }
        return false
    }
}
