public import TrafficModel
import Foundation

/// An outcome a session can show, as `minimize --until` names it:
/// `status=401`, `close=1008`, `error_code=AUTH_REQUIRED`, or any other JSON
/// field name and value the server sent (`type=error_message`). Several
/// conditions must all hold, in one session.
public struct Outcome: Sendable, Hashable, CustomStringConvertible {
    public enum Condition: Sendable, Hashable, CustomStringConvertible {
        /// Some response had this status.
        case status(Int)
        /// The WebSocket closed with this code (either side's first close
        /// frame); 1006 also matches a connection dropped without one.
        case close(Int)
        /// Some server message or response body is JSON with a member of
        /// this name (at any depth) whose scalar value reads `value`.
        case field(name: String, value: String)

        public var description: String {
            switch self {
            case .status(let s): return "status=\(s)"
            case .close(let c): return "close=\(c)"
            case .field(let name, let value): return "\(name)=\(value)"
            }
        }
    }

    public var conditions: [Condition]

    public init(conditions: [Condition]) {
        self.conditions = conditions
    }

    /// Parses `KEY=VALUE` expressions, one per `--until` (all must hold).
    public init(parsing expressions: [String]) throws(FixturesError) {
        guard !expressions.isEmpty else { throw FixturesError(.invalidOutcome, "no outcome given: say what must still happen, e.g. error_code=AUTH_REQUIRED") }
        conditions = try expressions.map { (text) throws(FixturesError) -> Condition in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
                throw FixturesError(.invalidOutcome, "\"\(text)\" is not KEY=VALUE (status=401, close=1008, error_code=AUTH_REQUIRED)")
            }
            let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
            let value = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            switch key {
            case "status":
                guard let s = Int(value), (100...599).contains(s) else { throw FixturesError(.invalidOutcome, "status=\(value): not an HTTP status") }
                return .status(s)
            case "close":
                guard let c = Int(value), (1000...4999).contains(c) else { throw FixturesError(.invalidOutcome, "close=\(value): not a WebSocket close code (1000-4999)") }
                return .close(c)
            default:
                return .field(name: key, value: value)
            }
        }
    }

    public var description: String { conditions.map(\.description).joined(separator: ", ") }

    /// True when one session shows every condition.
    public func holds(in session: Session) -> Bool {
        conditions.allSatisfy { Self.holds($0, in: session) }
    }

    /// True when any of the sessions shows the outcome.
    public func holds(inAny sessions: [Session]) -> Bool {
        sessions.contains { holds(in: $0) }
    }

    static func holds(_ condition: Condition, in session: Session) -> Bool {
        switch condition {
        case .status(let status):
            return session.exchanges.contains { $0.response?.status == status }
        case .close(let code):
            guard let ws = session.websocket else { return false }
            if let close = ws.close { return close.code == code }
            // RFC 6455 §7.1.5: 1006 is what an endpoint reports for a connection gone without a close frame.
            return code == 1006 && session.end != nil
        case .field(let name, let value):
            let serverMessages = session.websocket?.messages.filter { $0.direction == .server && $0.opcode == .text } ?? []
            if serverMessages.contains(where: { Self.contains(name, value, in: $0.payload) }) { return true }
            return session.exchanges.contains { exchange in
                exchange.response?.body.map { Self.contains(name, value, in: $0) } ?? false
            }
        }
    }

    static func contains(_ name: String, _ value: String, in body: Body) -> Bool {
        JSONMembers.values(named: name, in: body).contains { scalarText($0) == value }
    }

    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return nil
        }
    }
}
