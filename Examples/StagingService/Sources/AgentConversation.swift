public import TrafficModel

/// The agent side of a WebSocket session: client text in, server messages
/// out. Pure: the moment and fresh ids are passed in.
public struct AgentConversation: Sendable {
    public let userID: String
    public let connectionID: String

    public init(userID: String, connectionID: String) {
        self.userID = userID
        self.connectionID = connectionID
    }

    public func established(now: Double) -> JSONValue {
        .object([
            ("type", .string("connection_established")),
            ("user_id", .string(userID)),
            ("connection_id", .string(connectionID)),
            ("timestamp", .fixed(now, decimals: 3)),
        ])
    }

    /// The answers to one client text message.
    public func reply(to text: String, now: Double, runID: () -> String) -> [JSONValue] {
        let timestamp = JSONValue.fixed(now, decimals: 3)
        guard let message = try? JSONParser.parse(text), case .object = message, let type = message["type"]?.stringValue else {
            return [error("INVALID_MESSAGE", "Expected a JSON object with a type", timestamp: timestamp)]
        }
        switch type {
        case "ping":
            return [.object([("type", .string("pong")), ("timestamp", timestamp)])]
        case "user_message":
            let content = message["content"]?.stringValue ?? message["message"]?.stringValue ?? ""
            let run = JSONValue.string(runID())
            return [
                .object([("type", .string("agent_started")), ("run_id", run), ("agent_name", .string("supervisor")), ("timestamp", timestamp)]),
                .object([("type", .string("agent_thinking")), ("run_id", run), ("thought", .string("Working on: \(content)")), ("timestamp", timestamp)]),
                .object([("type", .string("tool_executing")), ("run_id", run), ("tool_name", .string("search_knowledge_base")), ("timestamp", timestamp)]),
                .object([
                    ("type", .string("agent_completed")), ("run_id", run),
                    ("result", .object([("response", .string("Done: \(content)"))])), ("timestamp", timestamp),
                ]),
            ]
        default:
            return [error("UNKNOWN_MESSAGE_TYPE", "Unknown message type \(type)", timestamp: timestamp)]
        }
    }

    private func error(_ code: String, _ message: String, timestamp: JSONValue) -> JSONValue {
        .object([
            ("type", .string("error_message")), ("error_code", .string(code)), ("error_message", .string(message)),
            ("timestamp", timestamp),
        ])
    }
}
