/// The stable machine summary `authreplay inspect --json` prints. Its shape
/// is documented in docs/recording-format.md and pinned by tests.
public enum RecordingSummary {
    public struct Totals: Equatable, Sendable {
        public var sessions = 0
        public var exchanges = 0
        public var messages = 0
        public var errors = 0
        public var anomalies = 0
        /// Sessions that ended `cut` (a capture or a recording stopped while they were open).
        public var cut = 0
        /// Upstream failures a proxy answered for (`upstream-error` anomalies).
        public var upstreamErrors = 0

        public init() {}

        /// Counts one more session (a streamed recording adds them as they end).
        public mutating func add(_ session: Session) {
            sessions += 1
            exchanges += session.exchanges.count
            messages += session.websocket?.messages.count ?? 0
            errors += RecordingSummary.errorCount(session)
            anomalies += session.anomalies.count
            if session.end?.kind == .cut { cut += 1 }
            upstreamErrors += session.anomalies.filter { $0.kind == .upstreamError }.count
        }
    }

    public static func totals(_ recording: Recording) -> Totals {
        var t = Totals()
        for session in recording.sessions { t.add(session) }
        return t
    }

    public static func errorCount(_ session: Session) -> Int {
        session.exchanges.filter { $0.response.map(ErrorSignals.isError) ?? false }.count
            + (session.websocket?.messages.filter(ErrorSignals.isError).count ?? 0)
    }

    public static func json(_ recording: Recording) -> JSONValue {
        let t = totals(recording)
        return .object([
            ("format", .string(Recording.formatIdentifier)),
            ("source", .object([("kind", .string(recording.source.kind.rawValue)), ("name", .string(recording.source.name))])),
            ("capturedAt", .string(recording.capturedAt.iso8601)),
            ("sessions", .array(recording.sessions.map(sessionJSON))),
            ("totals", .object([
                ("sessions", .int(t.sessions)), ("exchanges", .int(t.exchanges)), ("messages", .int(t.messages)),
                ("errors", .int(t.errors)), ("anomalies", .int(t.anomalies)),
            ])),
        ])
    }

    static func sessionJSON(_ session: Session) -> JSONValue {
        let exchanges: [JSONValue] = session.exchanges.map { x in
            .object([
                ("method", .string(x.request.method)), ("target", .string(x.request.target)),
                ("status", x.response.map { .int($0.status) } ?? .null),
            ])
        }
        var websocket = JSONValue.null
        if let ws = session.websocket {
            let messages: [JSONValue] = ws.messages.map { m in
                .object([("direction", .string(m.direction.rawValue)), ("opcode", .string(m.opcode.rawValue)), ("length", .int(m.payload.count))])
            }
            var close = JSONValue.null
            if let (frame, code) = ws.close {
                close = .object([("code", code.map(JSONValue.int) ?? .null), ("by", .string(frame.direction.rawValue))])
            }
            websocket = .object([("messages", .array(messages)), ("close", close)])
        }
        let auth: [JSONValue] = session.auth.map { f in
            .object([
                ("role", .string(f.role.rawValue)), ("exchange", .int(f.exchange)), ("location", .string(f.location)),
                ("scheme", .string(f.scheme.rawValue)), ("jwt", f.jwt?.json ?? .null),
            ])
        }
        let anomalies: [JSONValue] = session.anomalies.map { a in
            .object([("kind", .string(a.kind.rawValue)), ("detail", .string(a.detail))])
        }
        var members: [(String, JSONValue)] = [
            ("id", .string(session.id)), ("client", .string(session.client.description)), ("server", .string(session.server.description)),
        ]
        if let tls = session.tls { members.append(("tls", tls.json)) }  // only TLS sessions have the key
        if let link = session.engineIO { members.append(("engineIO", link.json)) }  // only Engine.IO connections
        members += [
            ("exchanges", .array(exchanges)), ("websocket", websocket), ("auth", .array(auth)),
            ("errors", .int(errorCount(session))), ("anomalies", .array(anomalies)),
        ]
        return .object(members)
    }
}
