/// A session-by-session timeline a person can read at a glance:
///
///     +0.000s  → GET /ws  Authorization: Bearer <JWT alg=HS256 sub=alice exp=+59m>
///     +0.004s  ← 101 Switching Protocols
///     +0.005s  ← text {"type":"error_message","error_code":"AUTH_REQUIRED",…}
///     +0.006s  ← close 1008 "auth required"
///
/// Lines carry a style; the caller decides whether to colour them.
public enum Timeline {
    public struct Line: Equatable, Sendable {
        public enum Style: Equatable, Sendable { case heading, normal, error, dim }
        public var text: String
        public var style: Style
    }

    public static let payloadPreview = 100

    public static func render(_ recording: Recording, decoders: TimelineDecoders = .none) -> [Line] {
        var lines: [Line] = []
        // Files list sessions as their connections ended; people read them as they started.
        let byStart = recording.sessions.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
        for session in byStart {
            // The Engine.IO sid (decoders) and the TLS line (`tls1.3 TLS_AES_128_GCM_SHA256 sni=…`).
            let note = (decoders.session(session).map { "  " + $0 } ?? "") + (session.tls.map { "  " + $0.summary } ?? "")
            lines.append(Line(text: "session \(session.id)  \(session.client) → \(session.server)\(note)", style: .heading))
            lines += sessionLines(session, decoders: decoders)
            lines.append(Line(text: "", style: .normal))
        }
        let t = RecordingSummary.totals(recording)
        lines.append(Line(
            text: "\(plural(t.sessions, "session")), \(plural(t.exchanges, "exchange")), \(plural(t.messages, "WS message")), \(plural(t.errors, "error")), \(plural(t.anomalies, "anomaly", "anomalies"))",
            style: t.errors + t.anomalies > 0 ? .error : .normal
        ))
        return lines
    }

    static func sessionLines(_ session: Session, decoders: TimelineDecoders = .none) -> [Line] {
        var lines: [Line] = []
        for anomaly in session.anomalies where anomaly.kind == .midstream {
            lines.append(Line(text: "  ! \(anomaly.kind.rawValue): \(anomaly.detail)", style: .error))
        }
        for (index, exchange) in session.exchanges.enumerated() {
            let request = exchange.request
            var text = "  \(time(request.at))  → \(request.method) \(request.target)"
            // Credentials sent inside WebSocket messages show on those messages.
            let credentials = session.auth.filter { $0.exchange == index && $0.role == .presented && !$0.location.hasPrefix("message:") }
            if !credentials.isEmpty { text += "  " + credentials.map(describe).joined(separator: "  ") }
            if let body = request.body { text += "  " + (decoders.body(session, exchange, body).map { cut($0.text) } ?? preview(body)) }
            lines.append(Line(text: text, style: .normal))
            guard let response = exchange.response else {
                lines.append(Line(text: "           ← (no response captured)", style: .error))
                continue
            }
            var answer = "  \(time(response.stream?.headAt ?? response.at))  ← \(response.status) \(response.reason)"
            let issued = session.auth.filter { $0.exchange == index && $0.role == .issued }
            if !issued.isEmpty { answer += "  issues " + issued.map(describe).joined(separator: ", ") }
            let decodedBody = response.body.flatMap { decoders.body(session, exchange, $0) }
            if let body = response.body, response.stream?.chunks.isEmpty ?? true { answer += "  " + (decodedBody.map { cut($0.text) } ?? preview(body)) }
            lines.append(Line(text: answer, style: ErrorSignals.isError(response) || decodedBody?.isError == true ? .error : .normal))
            if let stream = response.stream { lines += streamLines(stream) }
        }
        if let ws = session.websocket {
            var inMessages = session.auth.filter { $0.role == .presented && $0.location.hasPrefix("message:") }
            var header = "           websocket"
            if let p = ws.subprotocol { header += "  subprotocol \(p)" }
            if let e = ws.extensions { header += "  extensions \(e)" }
            lines.append(Line(text: header, style: .dim))
            for message in ws.messages {
                let decoded = decoders.message(session, message)
                var text = decoded.map { cut($0.text) } ?? describe(message)
                if message.direction == .client, !inMessages.isEmpty {
                    // The findings of this message's credentials, in the order the tracker met them.
                    for location in CredentialLocator.default.presented(inMessage: message.payload).map(\.credential.location) {
                        guard let i = inMessages.firstIndex(where: { $0.location == location }) else { continue }
                        text += "  " + describe(inMessages.remove(at: i))
                    }
                }
                let isError = ErrorSignals.isError(message) || decoded?.isError == true
                lines.append(Line(text: "  \(time(message.at))  \(arrow(message.direction)) \(text)", style: isError ? .error : .normal))
            }
        }
        for anomaly in session.anomalies where anomaly.kind != .midstream {
            var text = "  ! \(anomaly.kind.rawValue)"
            if let d = anomaly.direction { text += " (\(d.rawValue))" }
            if let at = anomaly.at { text += " at \(time(at))" }
            text += ": \(anomaly.detail)"
            lines.append(Line(text: text, style: .error))
        }
        if let end = session.end {
            let by = end.by.map { " by \($0.rawValue)" } ?? ""
            lines.append(Line(text: "  \(time(end.at))  \(end.kind.rawValue)\(by)", style: end.kind == .closed ? .dim : .error))
        }
        return lines
    }

    /// One line per event (or chunk) at its own offset, under its response.
    static func streamLines(_ stream: ResponseStream) -> [Line] {
        var lines: [Line] = []
        let kind = stream.chunks.isEmpty ? plural(stream.events.count, "event") : plural(stream.chunks.count, "chunk")
        lines.append(Line(text: "           stream from \(time(stream.headAt).trimmingLeadingSpaces()), \(kind)\(stream.truncated ? ", cut by the capture" : "")", style: .dim))
        for event in stream.events {
            // A block without data is not dispatched by a browser: show its fields only.
            var text = "  \(time(event.at))  ← " + (event.data == nil ? "(no data)" : "event \(event.type)")
            if let id = event.id { text += " id=\(id)" }
            if let retry = event.retry { text += " retry=\(retry)ms" }
            if let data = event.data { text += "  " + preview(.text(data)) }
            for comment in event.comments { text += "  : " + preview(.text(comment)) }
            lines.append(Line(text: text, style: ErrorSignals.isError(event) ? .error : .normal))
        }
        for chunk in stream.chunks {
            lines.append(Line(text: "  \(time(chunk.at))  ← chunk \(plural(chunk.bytes, "byte"))", style: .normal))
        }
        return lines
    }

    static func arrow(_ direction: Direction) -> String { direction == .client ? "→" : "←" }

    static func time(_ at: Double) -> String {
        let text = "+" + formatFixed(at, decimals: 3) + "s"
        return text.count >= 9 ? text : String(repeating: " ", count: 9 - text.count) + text
    }

    public static func describe(_ message: WebSocketMessage) -> String {
        var text = message.opcode.rawValue
        if message.compressed { text += " (deflate)" }
        switch message.opcode {
        case .close:
            if let code = message.closeCode { text += " \(code)" }
            if let reason = message.closeReason, !reason.isEmpty { text += " \"\(reason)\"" }
        case .text, .binary, .continuation, .ping, .pong:
            if message.payload.count > 0 { text += " " + preview(message.payload) }
        }
        if let frames = message.frames, frames.count > 1 { text += "  [\(frames.count) frames]" }
        return text
    }

    /// A decoded rendering cut like a preview (twice as long: it has no noise).
    static func cut(_ text: String) -> String {
        let flat = text.replacingNewlines()
        return flat.count > 2 * payloadPreview ? String(flat.prefix(2 * payloadPreview)) + "…" : flat
    }

    public static func preview(_ body: Body) -> String {
        switch body {
        case .text(let s):
            let flat = s.replacingNewlines()
            return flat.count > payloadPreview ? String(flat.prefix(payloadPreview)) + "…" : flat
        case .binary(let b):
            return "<\(b.count) bytes>"
        }
    }

    public static func describe(_ finding: AuthFinding) -> String {
        let (kind, name) = splitLocation(finding.location)
        var value: String
        if let jwt = finding.jwt {
            var parts = ["JWT"]
            if let alg = jwt.algorithm { parts.append("alg=\(alg)") }
            if let sub = jwt.subject { parts.append("sub=\(sub)") }
            if let exp = jwt.expiresIn { parts.append("exp=\(relative(exp))") }
            if let verdict = jwt.verifiedBeforeRedaction {
                parts.append("sig=\(verdict.rawValue) (before redaction)")
            } else if jwt.signature != .unverified {
                parts.append("sig=\(jwt.signature.rawValue)")
            }
            value = "<" + parts.joined(separator: " ") + ">"
        } else if let user = finding.user {
            value = "<user \(user)>"
        } else {
            value = "<\(finding.scheme.rawValue)>"
        }
        if finding.issuedBy != nil { value += " (issued)" }
        switch kind {
        case "header":
            let scheme = finding.scheme == .bearer ? "Bearer " : finding.scheme == .basic ? "Basic " : finding.schemeName.map { "\($0) " } ?? ""
            return "\(name): \(scheme)\(value)"
        case "query": return "?\(name)=\(value)"
        case "cookie": return "Cookie \(name)=\(value)"
        case "set-cookie": return "Set-Cookie \(name)=\(value)"
        default: return "\(name) \(value)"
        }
    }

    static func splitLocation(_ location: String) -> (String, String) {
        guard let colon = location.firstIndex(of: ":") else { return ("", location) }
        return (String(location[..<colon]), String(location[location.index(after: colon)...]))
    }

    /// `+59m`, `-2h`, `+30s`, `+3d`: the sign says future or past.
    public static func relative(_ seconds: Double) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let s = abs(seconds)
        if s < 120 { return "\(sign)\(Int(s.rounded()))s" }
        if s < 7200 { return "\(sign)\(Int((s / 60).rounded()))m" }
        if s < 172_800 { return "\(sign)\(Int((s / 3600).rounded()))h" }
        return "\(sign)\(Int((s / 86400).rounded()))d"
    }

    static func plural(_ n: Int, _ singular: String, _ pluralForm: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : pluralForm ?? singular + "s")"
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }

    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
