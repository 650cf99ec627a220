public import TrafficModel

// Event streams, event by event (issue 15), with the rules WebSocket
// messages follow: the event type, id and retry by value, data through
// PayloadComparator (semantic members equal, volatile values by shape).
extension ResponseComparator {
    /// Missing, extra, changed and reordered events, one line each. An
    /// event is first paired with an equal live one (in order, so a moved
    /// event is found where it went); what is left pairs by type and id as
    /// a changed event; the rest is missing or extra.
    public func compare(expected: ResponseStream, actual: ResponseStream) -> [String] {
        let e = expected.events
        let a = actual.events
        var pairedActual = [Int?](repeating: nil, count: e.count)
        var used = Set<Int>()
        for i in e.indices {
            if let j = a.indices.first(where: { !used.contains($0) && differences(e[i], a[$0]).isEmpty }) {
                pairedActual[i] = j
                used.insert(j)
            }
        }
        var out: [String] = []
        // Reordered: an equal event found before one that came earlier in the recording.
        var latest = -1
        for i in e.indices {
            guard let j = pairedActual[i] else { continue }
            if j < latest { out.append("event \(i + 1): \(Self.describe(e[i])) arrived out of order (as live event \(j + 1))") }
            latest = max(latest, j)
        }
        for i in e.indices where pairedActual[i] == nil {
            if let j = a.indices.first(where: { !used.contains($0) && a[$0].type == e[i].type && a[$0].id == e[i].id }) {
                used.insert(j)
                out.append("event \(i + 1) (\(Self.label(e[i]))): " + differences(e[i], a[j]).joined(separator: "; "))
            } else {
                out.append("event \(i + 1): expected \(Self.describe(e[i])), missing")
            }
        }
        for j in a.indices where !used.contains(j) {
            out.append("live event \(j + 1): unexpected \(Self.describe(a[j]))")
        }
        return out
    }

    func differences(_ expected: ServerSentEvent, _ actual: ServerSentEvent) -> [String] {
        var out: [String] = []
        if expected.type != actual.type { out.append("type expected \"\(expected.type)\", got \"\(actual.type)\"") }
        if expected.id != actual.id { out.append("id expected \(Self.quoted(expected.id)), got \(Self.quoted(actual.id))") }
        if expected.retry != actual.retry {
            out.append("retry expected \(expected.retry.map(String.init) ?? "none"), got \(actual.retry.map(String.init) ?? "none")")
        }
        switch (expected.data, actual.data) {
        case (nil, nil): break
        case (let d?, nil): out.append("data expected \(Self.preview(d)), got none")
        case (nil, let d?): out.append("data new \(Self.preview(d))")
        case (let e?, let a?):
            out += PayloadComparator.differences(expected: .text(e), actual: .text(a), options: options).map { "data: \($0)" }
        }
        return out
    }

    static func label(_ event: ServerSentEvent) -> String {
        event.id.map { "\(event.type) id \($0)" } ?? event.type
    }

    static func describe(_ event: ServerSentEvent) -> String {
        var text = label(event)
        if let data = event.data { text += " " + preview(data) }
        return text
    }

    /// Event data as a reader wants it: a JSON document compact and
    /// unquoted (most events carry one), other text quoted; cut at 160.
    static func preview(_ data: String) -> String {
        let limit = 160
        if let json = try? JSONParser.parse(data) {
            let text = JSONWriter.compact(json)
            return text.count > limit ? String(text.prefix(limit)) + "…" : text
        }
        return PayloadComparator.describe(.text(data), limit: limit)
    }

    static func quoted(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "none" }
}
