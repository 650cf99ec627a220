public import TrafficModel

/// What the mock did, in order: served requests, unmatched ones with their
/// near misses, WebSocket mismatches. No wall-clock times, so two runs with
/// the same input give the same journal.
public enum JournalEntry: Hashable, Sendable {
    case served(request: String, reference: RecordedReference, status: Int, authClass: AuthClass, serving: Int, repeated: Bool)
    case unmatched(request: String, authClass: AuthClass, nearMisses: [NearMiss])
    case exhausted(request: String, reference: RecordedReference, served: Int)
    /// A client message that was not the recorded one; `action` says what the mock did.
    case webSocketMismatch(reference: RecordedReference, differences: [String], action: String)
    /// The client's messages chose this recorded session among those sharing
    /// the handshake (`released`: the one taken at the handshake; `remaining`:
    /// how many candidates still agree with what the client sent).
    case webSocketChosen(reference: RecordedReference, released: RecordedReference?, remaining: Int)
    /// A WebSocket session that ended (`how`: finished, cut, closed by the client, …).
    case sessionEnded(reference: RecordedReference, how: String)
    /// A `--fault` the mock performed on this exchange or session.
    case fault(reference: RecordedReference, fault: String)

    public var json: JSONValue {
        switch self {
        case .served(let request, let reference, let status, let authClass, let serving, let repeated):
            return .object([
                ("event", .string("served")), ("request", .string(request)), ("recorded", reference.json),
                ("status", .int(status)), ("authClass", .string(authClass.rawValue)),
                ("serving", .int(serving)), ("repeated", .bool(repeated)),
            ])
        case .unmatched(let request, let authClass, let nearMisses):
            return .object([
                ("event", .string("unmatched")), ("request", .string(request)),
                ("authClass", .string(authClass.rawValue)), ("nearMisses", .array(nearMisses.map(\.json))),
            ])
        case .exhausted(let request, let reference, let served):
            return .object([
                ("event", .string("exhausted")), ("request", .string(request)), ("recorded", reference.json),
                ("served", .int(served)),
            ])
        case .webSocketMismatch(let reference, let differences, let action):
            return .object([
                ("event", .string("websocket-mismatch")), ("recorded", reference.json),
                ("differences", .array(differences.map(JSONValue.string))), ("action", .string(action)),
            ])
        case .webSocketChosen(let reference, let released, let remaining):
            return .object([
                ("event", .string("websocket-chosen")), ("recorded", reference.json),
                ("released", released?.json ?? .null), ("remaining", .int(remaining)),
            ])
        case .sessionEnded(let reference, let how):
            return .object([("event", .string("session-ended")), ("recorded", reference.json), ("how", .string(how))])
        case .fault(let reference, let fault):
            return .object([("event", .string("fault")), ("recorded", reference.json), ("fault", .string(fault))])
        }
    }

    /// One line for the log on stderr.
    public var logLine: String {
        switch self {
        case .served(let request, let reference, let status, let authClass, let serving, let repeated):
            return "\(request) → \(status) from \(reference) (auth \(authClass.rawValue), serving \(serving)\(repeated ? ", repeated" : ""))"
        case .unmatched(let request, let authClass, let nearMisses):
            let nearest = nearMisses.first.map { "; nearest \($0.reference): " + $0.differences.map(\.description).joined(separator: "; ") } ?? ""
            return "\(request) → unmatched (auth \(authClass.rawValue))\(nearest)"
        case .exhausted(let request, let reference, let served):
            return "\(request) → exhausted: \(reference) already served \(served) times"
        case .webSocketMismatch(let reference, let differences, let action):
            return "websocket \(reference): \(differences.joined(separator: "; ")) → \(action)"
        case .webSocketChosen(let reference, let released, let remaining):
            let instead = released.map { " instead of \($0)" } ?? ""
            return "websocket: the client's messages chose \(reference)\(instead) (\(remaining) candidate\(remaining == 1 ? "" : "s") left)"
        case .sessionEnded(let reference, let how):
            return "websocket \(reference) ended: \(how)"
        case .fault(let reference, let fault):
            return "fault \(fault) on \(reference)"
        }
    }
}
