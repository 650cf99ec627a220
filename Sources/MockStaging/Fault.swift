public import TrafficModel
import Foundation

/// A misbehaviour the mock performs on cue, for client resilience tests
/// (`serve --fault SPEC`). Deterministic: the same plan on the same
/// recordings gives the same bytes every run.
///
/// A spec is comma-separated `KEY=VALUE`: one action and the selectors that
/// scope it.
///
/// | action | what the mock does |
/// |---|---|
/// | `close=CODE` | ends the WebSocket after `after=N` server messages (default 0): with a close frame of that code, or, for 1006, by dropping the TCP connection without one (RFC 6455 §7.1.5) |
/// | `delay=DURATION` | holds each answer (HTTP response, WebSocket server message) this much longer (`500ms`, `2s`, `1.5`) |
/// | `drop=server-message-N` | never sends the session's Nth server message (1-based; data and close frames, as `replay` counts them) |
/// | `fragment=BYTES` | sends server data messages in frames of at most this many payload bytes |
/// | `status=CODE` | answers the HTTP exchange with this status (an upgrade is refused with it) |
///
/// Selectors: `session=ID` (or `FILE#ID`), `exchange=N` (1-based within the
/// session), `path=/PATH` (the recorded path). Without any, the fault applies
/// everywhere.
public struct Fault: Hashable, Sendable, CustomStringConvertible {
    public enum Action: Hashable, Sendable {
        case close(code: Int, afterServerMessages: Int)
        case delay(seconds: Double)
        case drop(serverMessage: Int)
        case fragment(bytes: Int)
        case status(Int)
    }

    public var action: Action
    public var session: String?
    public var exchange: Int?
    public var path: String?
    /// The spec as given, for the journal.
    public let spec: String

    public var description: String { spec }

    public init(parsing spec: String) throws(MockStagingError) {
        self.spec = spec
        var fields: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                throw Self.error(spec, "\"\(part)\" is not KEY=VALUE")
            }
            guard fields[pair[0]] == nil else { throw Self.error(spec, "\(pair[0]) is given twice") }
            fields[pair[0]] = pair[1]
        }
        let actions = ["close", "delay", "drop", "fragment", "status"].filter { fields[$0] != nil }
        guard actions.count == 1 else {
            throw Self.error(spec, actions.isEmpty ? "no action: give one of close=, delay=, drop=, fragment=, status=" : "one action per --fault (got \(actions.joined(separator: ", ")))")
        }
        let known: Set<String> = ["close", "delay", "drop", "fragment", "status", "session", "exchange", "path", "after"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw Self.error(spec, "unknown key \(unknown) (actions: close, delay, drop, fragment, status; selectors: session, exchange, path, after)")
        }
        session = fields["session"]
        path = fields["path"]
        if let text = fields["exchange"] {
            guard let n = Int(text), n >= 1 else { throw Self.error(spec, "exchange takes a 1-based exchange number") }
            exchange = n
        }
        if fields["after"] != nil, fields["close"] == nil { throw Self.error(spec, "after= goes with close=") }
        switch actions[0] {
        case "close":
            guard let code = Int(fields["close"]!), (1000...4999).contains(code), ![1004, 1005, 1015].contains(code) else {
                throw Self.error(spec, "close takes a close code 1000-4999 (1006: no close frame; 1004, 1005, 1015 are never sent)")
            }
            let after = fields["after"].flatMap { Int($0) } ?? 0
            guard after >= 0, fields["after"] == nil || Int(fields["after"]!) != nil else { throw Self.error(spec, "after takes a number of server messages") }
            action = .close(code: code, afterServerMessages: after)
        case "delay":
            guard let seconds = Self.seconds(fields["delay"]!) else { throw Self.error(spec, "delay takes a duration such as 500ms, 2s or 1.5") }
            action = .delay(seconds: seconds)
        case "drop":
            let text = fields["drop"]!
            let prefix = "server-message-"
            guard text.hasPrefix(prefix), let n = Int(text.dropFirst(prefix.count)), n >= 1 else {
                throw Self.error(spec, "drop takes server-message-N (1-based)")
            }
            action = .drop(serverMessage: n)
        case "fragment":
            guard let n = Int(fields["fragment"]!), n >= 1 else { throw Self.error(spec, "fragment takes a positive number of bytes per frame") }
            action = .fragment(bytes: n)
        default:
            guard let code = Int(fields["status"]!), (200...599).contains(code) else { throw Self.error(spec, "status takes an HTTP status 200-599") }
            action = .status(code)
        }
        if case .status = action {} else if exchange != nil || path != nil, !Self.isHTTPWide(action) {
            throw Self.error(spec, "exchange= and path= select HTTP exchanges: use them with status= or delay=")
        }
    }

    static func isHTTPWide(_ action: Action) -> Bool {
        if case .delay = action { return true }
        return false
    }

    /// `500ms`, `2s`, `1.5` (seconds).
    static func seconds(_ text: String) -> Double? {
        let value: Double?
        if text.hasSuffix("ms") {
            value = Double(text.dropLast(2)).map { $0 / 1000 }
        } else if text.hasSuffix("s") {
            value = Double(text.dropLast())
        } else {
            value = Double(text)
        }
        guard let value, value >= 0, value.isFinite, value <= 3600 else { return nil }
        return value
    }

    static func error(_ spec: String, _ reason: String) -> MockStagingError {
        MockStagingError(.invalidFault, "--fault \(spec): \(reason)")
    }

    /// Whether the fault's selectors take in this recorded session.
    func covers(session reference: RecordedReference) -> Bool {
        guard let session else { return true }
        return session == reference.session || session == "\(reference.recordingName)#\(reference.session)"
    }

    /// Whether the fault's selectors take in this recorded exchange.
    func covers(exchange reference: RecordedReference, path recordedPath: String) -> Bool {
        guard covers(session: reference) else { return false }
        if let exchange, exchange != reference.exchange + 1 { return false }
        if let path, path != recordedPath { return false }
        return true
    }
}

/// The faults a mock was started with, asked per exchange and per session.
public struct FaultPlan: Hashable, Sendable {
    public var faults: [Fault]

    public init(_ faults: [Fault] = []) {
        self.faults = faults
    }

    public var isEmpty: Bool { faults.isEmpty }

    /// What to do to one HTTP answer: a status in its place, a longer wait,
    /// and the faults that applied (for the journal).
    public struct HTTPFaults: Hashable, Sendable {
        public var status: Int?
        public var delay: Double = 0
        public var applied: [Fault] = []
    }

    public func http(_ reference: RecordedReference, path: String) -> HTTPFaults {
        var result = HTTPFaults()
        for fault in faults where fault.covers(exchange: reference, path: path) {
            switch fault.action {
            case .status(let code):
                if result.status == nil { result.status = code }
            case .delay(let seconds):
                result.delay += seconds
            default:
                continue
            }
            result.applied.append(fault)
        }
        return result
    }

    /// What to do to one WebSocket session's server side.
    public struct WebSocketFaults: Hashable, Sendable {
        public var delay: Double = 0
        public var drop: Set<Int> = []
        public var fragment: Int?
        /// End the session after this many server messages.
        public var end: End?
        /// The faults that shape every message (delay, fragment), journaled when the session starts;
        /// drops and the end are journaled when they happen.
        public var shaping: [Fault] = []

        public struct End: Hashable, Sendable {
            public var code: Int
            public var afterServerMessages: Int
            public var fault: Fault
        }

        public var isEmpty: Bool { delay == 0 && drop.isEmpty && fragment == nil && end == nil }
    }

    public func webSocket(_ reference: RecordedReference) -> WebSocketFaults {
        var result = WebSocketFaults()
        for fault in faults where fault.covers(session: reference) && fault.exchange == nil && fault.path == nil {
            switch fault.action {
            case .close(let code, let after):
                if result.end == nil || after < result.end!.afterServerMessages { result.end = WebSocketFaults.End(code: code, afterServerMessages: after, fault: fault) }
            case .delay(let seconds):
                result.delay += seconds
                result.shaping.append(fault)
            case .drop(let n):
                result.drop.insert(n)
            case .fragment(let bytes):
                result.fragment = min(result.fragment ?? bytes, bytes)
                result.shaping.append(fault)
            case .status:
                continue
            }
        }
        return result
    }
}
