import TrafficModel

/// One event on a session's time axis.
struct TimelineEvent {
    enum Lane { case client, server, both }

    var at: Double
    var lane: Lane
    var id: String
    /// One line, already escaped.
    var summary: String
    /// Headers and the full payload, already escaped (shown on demand).
    var detail: String?
    var isError: Bool
    var anchor: DifferenceAnchor?
}

extension PageWriter {
    mutating func session(_ view: SessionView) {
        let s = view.session
        out += "<section class=\"session \(view.filterClasses)\" id=\"\(view.anchor)\">\n"
        out += "<h2>session \(e(s.id)) <small><code>\(e(view.recordingName))</code> \(e(s.client.description)) &rarr; \(e(s.server.description))</small></h2>\n"
        out += "<p>\(badges(view))</p>\n"
        // In a replay's page, sessions that passed clean are folded, so the failures are what one sees first.
        let folded = view.replayed && !view.failed && view.errors == 0 && s.anomalies.isEmpty
        out += "<details class=\"body\"\(folded ? "" : " open")><summary>timeline and auth findings</summary>\n"
        let events = Self.events(view)
        axis(events, anchor: view.anchor)
        // Differences by where they belong; the rest go at the top.
        var placed: [DifferenceAnchor: [(run: Int?, text: String)]] = [:]
        for result in view.results {
            let run = view.results.count > 1 ? result.run : nil
            for difference in result.differences {
                placed[DifferenceAnchor.of(difference, in: s), default: []].append((run, difference))
            }
        }
        let anchored = Set(events.compactMap(\.anchor))
        var general = placed[.session] ?? []
        for (anchor, lines) in placed where anchor != .session && !anchored.contains(anchor) { general += lines }
        if !general.isEmpty { differences(general) }
        for result in view.results where !result.notes.isEmpty {
            out += "<ul class=\"notes\">" + result.notes.map { "<li>note: \(e($0))</li>" }.joined() + "</ul>\n"
        }
        out += "<div class=\"timeline\"><div class=\"row head\"><div class=\"t\">time</div><div class=\"lane client\">client</div><div class=\"lane server\">server</div></div>\n"
        for event in events {
            let lane: String
            switch event.lane {
            case .client: lane = "<div class=\"lane client\">\(card(event))</div><div class=\"lane server\"></div>"
            case .server: lane = "<div class=\"lane client\"></div><div class=\"lane server\">\(card(event))</div>"
            case .both: lane = "<div class=\"lane both\">\(card(event))</div>"
            }
            let diffs = event.anchor.flatMap { placed[$0] } ?? []
            let classes = ["row", event.isError ? "error" : nil, diffs.isEmpty ? nil : "differs"].compactMap { $0 }.joined(separator: " ")
            out += "<div class=\"\(classes)\" id=\"\(event.id)\"><div class=\"t\">+\(formatFixed(event.at, decimals: 3))s</div>\(lane)</div>\n"
            if !diffs.isEmpty { differences(diffs) }
        }
        out += "</div>\n"
        auth(s, anchor: view.anchor)
        out += "</details>\n</section>\n"
    }

    func card(_ event: TimelineEvent) -> String {
        guard let detail = event.detail else { return "<div class=\"card\">\(event.summary)</div>" }
        return "<details class=\"card\"><summary>\(event.summary)</summary>\(detail)</details>"
    }

    /// The time axis: every event as a mark on its lane, placed by time, linking to its row.
    mutating func axis(_ events: [TimelineEvent], anchor: String) {
        guard let first = events.map(\.at).min(), let last = events.map(\.at).max() else { return }
        let span = last - first
        func left(_ at: Double) -> String { formatFixed(span > 0 ? (at - first) / span * 100 : 0, decimals: 2) }
        out += "<div class=\"axis\" aria-label=\"time axis\">"
        for (name, lanes) in [("client", [TimelineEvent.Lane.client, .both]), ("server", [.server, .both])] {
            out += "<div class=\"axis-lane\"><span class=\"axis-name\">\(name)</span><div class=\"axis-track\">"
            for event in events where lanes.contains(event.lane) {
                out += "<a class=\"mark\(event.isError ? " error" : "")\" style=\"left:\(left(event.at))%\" href=\"#\(event.id)\" title=\"+\(formatFixed(event.at, decimals: 3))s\"></a>"
            }
            out += "</div></div>"
        }
        out += "<div class=\"axis-ticks\"><span>+\(formatFixed(first, decimals: 3))s</span><span>+\(formatFixed(first + span / 2, decimals: 3))s</span><span>+\(formatFixed(last, decimals: 3))s</span></div>"
        out += "</div>\n"
    }

    /// Replay differences, each split into what was expected and what came back where it says so.
    mutating func differences(_ lines: [(run: Int?, text: String)]) {
        out += "<div class=\"diff\"><strong>replay difference\(lines.count == 1 ? "" : "s")</strong><table>\n"
        for line in lines {
            let run = line.run.map { "run \($0): " } ?? ""
            let (label, rest) = Self.splitLabel(line.text)
            for (n, part) in rest.split(separator: "; ").map(String.init).enumerated() {
                // The step's label once per difference line, not on each of its parts.
                let label = n == 0 ? run + label : ""
                if let (path, expected, got) = Self.expectedGot(part) {
                    out += "<tr><td>\(e(label))</td><td><code>\(e(path))</code></td><td class=\"expected\">expected <code>\(e(expected))</code></td><td class=\"got\">got <code>\(e(got))</code></td></tr>\n"
                } else {
                    out += "<tr><td>\(e(label))</td><td colspan=\"3\">\(e(part))</td></tr>\n"
                }
            }
        }
        out += "</table></div>\n"
    }

    /// `server message 1: $.type expected …` → (`server message 1`, `$.type expected …`).
    static func splitLabel(_ line: String) -> (String, String) {
        guard let colon = line.firstRange(of: ": ") else { return ("", line) }
        return (String(line[..<colon.lowerBound]), String(line[colon.upperBound...]))
    }

    /// `$.type expected "a", got "b"` → (`$.type`, `"a"`, `"b"`).
    static func expectedGot(_ part: String) -> (String, String, String)? {
        let expectedMark = part.hasPrefix("expected ") ? part.startIndex..<part.index(part.startIndex, offsetBy: "expected ".count) : part.firstRange(of: " expected ")
        guard let expectedMark, let gotMark = part[expectedMark.upperBound...].firstRange(of: ", got ") else { return nil }
        return (String(part[..<expectedMark.lowerBound]), String(part[expectedMark.upperBound..<gotMark.lowerBound]), String(part[gotMark.upperBound...]))
    }
}
