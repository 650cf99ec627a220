import TrafficModel

extension PageWriter {
    /// The session's requests, responses, WebSocket messages, anomalies and
    /// end, in time order (recorded order where times are equal).
    static func events(_ view: SessionView) -> [TimelineEvent] {
        let s = view.session
        let a = view.anchor
        var events: [TimelineEvent] = []
        for (i, exchange) in s.exchanges.enumerated() {
            let request = exchange.request
            var summary = "&rarr; <b>\(e(request.method))</b> \(e(request.target))"
            let credentials = s.auth.filter { $0.exchange == i && $0.role == .presented }
            if !credentials.isEmpty {
                summary += " <span class=\"cred\">" + credentials.map { e(Timeline.describe($0)) }.joined(separator: " ") + "</span>"
            }
            if let body = request.body { summary += " <code>\(e(Timeline.preview(body)))</code>" }
            events.append(TimelineEvent(
                at: request.at, lane: .client, id: "\(a)-x\(i)-req", summary: summary,
                detail: detail(headers: request.headers, body: request.body), isError: false, anchor: nil
            ))
            for interim in exchange.response?.interim ?? [] {
                events.append(TimelineEvent(
                    at: interim.at, lane: .server, id: "\(a)-x\(i)-\(interim.status)", summary: "&larr; \(interim.status) \(e(interim.reason))",
                    detail: detail(headers: interim.headers, body: nil), isError: false, anchor: nil
                ))
            }
            guard let response = exchange.response else {
                events.append(TimelineEvent(at: request.at, lane: .server, id: "\(a)-x\(i)-res", summary: "(no response captured)", detail: nil, isError: true, anchor: .response(exchange: i)))
                continue
            }
            var answer = "&larr; <b>\(response.status)</b> \(e(response.reason))"
            let issued = s.auth.filter { $0.exchange == i && $0.role == .issued }
            if !issued.isEmpty { answer += " <span class=\"cred\">issues " + issued.map { e(Timeline.describe($0)) }.joined(separator: ", ") + "</span>" }
            if let body = response.body { answer += " <code>\(e(Timeline.preview(body)))</code>" }
            events.append(TimelineEvent(
                at: response.at, lane: .server, id: "\(a)-x\(i)-res", summary: answer,
                detail: detail(headers: response.headers, body: response.body), isError: ErrorSignals.isError(response), anchor: .response(exchange: i)
            ))
        }
        var serverData = 0
        for (m, message) in (s.websocket?.messages ?? []).enumerated() {
            let arrow = message.direction == .client ? "&rarr;" : "&larr;"
            var anchor: DifferenceAnchor?
            if message.direction == .server {
                if message.opcode == .close {
                    anchor = .close
                } else {
                    anchor = .serverMessage(serverData)
                    serverData += 1
                }
            }
            let body: Body? = message.opcode == .close || message.payload.count == 0 ? nil : message.payload
            events.append(TimelineEvent(
                at: message.at, lane: message.direction == .client ? .client : .server, id: "\(a)-m\(m)",
                summary: "\(arrow) \(e(Timeline.describe(message)))", detail: body.map { payload($0) },
                isError: ErrorSignals.isError(message), anchor: anchor
            ))
        }
        for (n, anomaly) in s.anomalies.enumerated() {
            var text = "! \(anomaly.kind.rawValue)"
            if let d = anomaly.direction { text += " (\(d.rawValue))" }
            text += ": \(anomaly.detail)"
            if let bytes = anomaly.bytes { text += " (\(bytes) bytes)" }
            events.append(TimelineEvent(
                at: anomaly.at ?? s.start, lane: .both, id: "\(a)-a\(n)", summary: "<span class=\"anomaly\">\(e(text))</span>",
                detail: anomaly.data.map { payload($0) }, isError: true, anchor: nil
            ))
        }
        if let end = s.end {
            let by = end.by.map { " by \($0.rawValue)" } ?? ""
            // A session without a close frame: a close difference belongs here.
            let anchor: DifferenceAnchor? = s.websocket != nil && s.websocket?.close == nil ? .close : nil
            events.append(TimelineEvent(
                at: end.at, lane: .both, id: "\(a)-end", summary: "connection \(e(end.kind.rawValue))\(e(by))",
                detail: nil, isError: end.kind != .closed, anchor: anchor
            ))
        }
        // Stable: equal times keep the order above (request before its response, messages as recorded).
        return events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    static func detail(headers: [HeaderField], body: Body?) -> String? {
        guard !headers.isEmpty || body != nil else { return nil }
        var out = ""
        if !headers.isEmpty {
            out += "<pre class=\"headers\">" + headers.map { "\(e($0.name)): \(e($0.value))" }.joined(separator: "\n") + "</pre>"
        }
        if let body { out += payload(body) }
        return out
    }

    /// A body or message payload in full (JSON pretty-printed), up to `HTMLReport.maxPayloadShown` characters.
    static func payload(_ body: Body) -> String {
        switch body {
        case .text(let text):
            var shown = text
            if text.first == "{" || text.first == "[", let json = try? JSONParser.parse(text) { shown = JSONWriter.pretty(json) }
            if shown.count > HTMLReport.maxPayloadShown {
                return "<pre class=\"payload\">\(e(String(shown.prefix(HTMLReport.maxPayloadShown))))</pre><p class=\"cut\">… cut at \(HTMLReport.maxPayloadShown) characters of \(shown.count)</p>"
            }
            return "<pre class=\"payload\">\(e(shown))</pre>"
        case .binary(let bytes):
            let hex = bytes.prefix(256).map { byte in
                let h = String(byte, radix: 16)
                return h.count == 1 ? "0" + h : h
            }.joined(separator: " ")
            return "<pre class=\"payload\">\(bytes.count) bytes, binary\(bytes.count > 256 ? " (first 256 shown)" : ""):\n\(hex)</pre>"
        }
    }
}
