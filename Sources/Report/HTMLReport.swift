public import TrafficModel

/// One self-contained HTML page for recordings and, optionally, a replay's
/// verdicts: a session list with badges, each session's timeline on a time
/// axis with client and server lanes, its auth findings, error frames and
/// anomalies highlighted, and each replay difference beside the message it
/// concerns. Pure: recordings and a replay result in, a string out (no
/// clock, no I/O); inline CSS and a little JS, nothing fetched, so the file
/// works as a CI artefact or a bug-report attachment offline.
///
/// Every recorded value goes through `MarkupText.escape`: a recording holds
/// whatever a server sent. Values are shown as recorded, so a redacted
/// recording's secrets stay redacted.
public enum HTMLReport {
    /// A payload or body is shown in full up to this many characters, then cut (with a note).
    public static let maxPayloadShown = 64 * 1024

    public static func render(recordings: [(name: String, recording: Recording)], replay: ReplayOutcome? = nil, title: String = "authreplay report") -> String {
        var page = PageWriter()
        page.out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        // No network: the policy forbids every fetch, so a stray URL in a recording cannot load anything.
        page.out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        page.out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        page.out += "<title>\(e(title))</title>\n<style>\(ReportAssets.css)</style>\n</head>\n<body>\n"
        page.out += "<header><h1>\(e(title))</h1>\n"
        page.header(recordings: recordings, replay: replay)
        page.out += "</header>\n<main>\n"
        let sessions = SessionView.all(recordings, replay: replay)
        page.sessionList(sessions, replayed: replay != nil)
        if let replay { page.comparisonRules(replay) }
        for view in sessions { page.session(view) }
        page.out += "</main>\n<script>\(ReportAssets.js)</script>\n</body>\n</html>\n"
        return page.out
    }
}

func e(_ text: String) -> String { MarkupText.escape(text) }

/// A recorded session with what the report says about it.
struct SessionView {
    var anchor: String
    var recordingName: String
    var session: Session
    var results: [ReplayOutcome.Result]
    var replayed: Bool

    static func all(_ recordings: [(name: String, recording: Recording)], replay: ReplayOutcome?) -> [SessionView] {
        var views: [SessionView] = []
        for (r, named) in recordings.enumerated() {
            // People read sessions in the order they started (files list them as they ended).
            let byStart = named.recording.sessions.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }
            for (s, session) in byStart {
                views.append(SessionView(
                    anchor: "r\(r)-s\(s)", recordingName: named.name, session: session,
                    results: replay?.results(recording: named.name, session: session.id) ?? [], replayed: replay != nil
                ))
            }
        }
        return views
    }

    var failed: Bool { results.contains { $0.verdict == "failed" } }
    var errors: Int { RecordingSummary.errorCount(session) }

    /// `error_code`s (and error `type`s) of the session's error payloads, in order, once each.
    var errorCodes: [String] {
        var codes: [String] = []
        var payloads = session.websocket?.messages.filter(ErrorSignals.isError).compactMap(\.payload.text) ?? []
        payloads += session.exchanges.compactMap { $0.response.flatMap { ErrorSignals.isError($0) ? $0.body?.text : nil } }
        for text in payloads {
            guard let json = try? JSONParser.parse(text) else { continue }
            for key in ["error_code", "errorCode", "code", "error"] {
                if let code = json[key]?.stringValue, !code.isEmpty, code.count <= 40, !codes.contains(code) { codes.append(code) }
            }
        }
        return codes
    }
}

/// The page as it is written, section by section.
struct PageWriter {
    var out = ""

    mutating func header(recordings: [(name: String, recording: Recording)], replay: ReplayOutcome?) {
        out += "<table class=\"recordings\"><tr><th>recording</th><th>source</th><th>captured</th><th>redaction</th><th>content</th></tr>\n"
        for named in recordings {
            let r = named.recording
            let t = RecordingSummary.totals(r)
            let redaction: String
            switch r.redaction?.enabled {
            case true?:
                let n = r.redaction?.counts.values.reduce(0, +) ?? 0
                redaction = "<span class=\"badge ok\">redacted</span> \(n) value\(n == 1 ? "" : "s") replaced"
            case false?:
                redaction = "<span class=\"badge bad\">NOT redacted</span> secrets may be shown"
            case nil:
                redaction = "<span class=\"badge warn\">unknown</span> no redaction summary"
            }
            out += "<tr><td><code>\(e(named.name))</code></td><td>\(e(r.source.kind.rawValue)) \(e(r.source.name))</td>"
            out += "<td>\(e(r.capturedAt.iso8601))</td><td>\(redaction)</td>"
            out += "<td>\(t.sessions) sessions, \(t.exchanges) exchanges, \(t.messages) WS messages, \(t.errors) errors, \(t.anomalies) anomalies</td></tr>\n"
        }
        out += "</table>\n"
        if let replay {
            let verdict = replay.failed > 0 ? "bad" : replay.passed > 0 ? "ok" : "warn"
            out += "<p class=\"verdict\"><span class=\"badge \(verdict)\">replay</span> <strong>\(replay.passed) passed, \(replay.failed) failed</strong>"
            if replay.skipped > 0 { out += ", \(replay.skipped) skipped" }
            if replay.passed + replay.failed == 0 { out += " &mdash; no session was executed: a replay that tests nothing is an error" }
            out += "</p>\n"
        }
        out += "<nav class=\"filters\">show <button data-filter=\"all\" class=\"on\">all sessions</button>"
        out += "<button data-filter=\"problem\">errors, anomalies and failures</button>"
        if replay != nil { out += "<button data-filter=\"failed\">failed replays</button>" }
        out += "</nav>\n"
    }

    mutating func sessionList(_ views: [SessionView], replayed: Bool) {
        out += "<section class=\"list\"><h2>Sessions</h2>\n<table><tr><th>session</th><th>recording</th><th>connection</th><th>what</th><th>status</th></tr>\n"
        for view in views {
            out += "<tr class=\"\(view.filterClasses)\"><td><a href=\"#\(view.anchor)\">\(e(view.session.id))</a></td><td><code>\(e(view.recordingName))</code></td>"
            out += "<td>\(e(view.session.client.description)) &rarr; \(e(view.session.server.description))</td>"
            out += "<td>\(e(view.what))</td><td>\(badges(view))</td></tr>\n"
        }
        out += "</table></section>\n"
    }

    /// What the replay compared and what it tolerated, so a reader knows what a difference means.
    mutating func comparisonRules(_ replay: ReplayOutcome) {
        out += "<section class=\"rules\"><h2>How the replay compared</h2><ul>\n"
        if replay.exact == true {
            out += "<li>--exact: bodies and payloads compared byte for byte.</li>\n"
        } else {
            out += "<li>Status codes, enum-like fields (<code>type</code>, <code>error_code</code>) and JSON structure must be equal.</li>\n"
            out += "<li>Noise tolerated: volatile values (timestamps, UUIDs, JWTs, ids) need only the same shape.</li>\n"
        }
        out += "<li>Headers compared: Content-Type (media type), WWW-Authenticate (scheme), Sec-WebSocket-Protocol, Upgrade, Sec-WebSocket-Extensions (names).</li>\n"
        switch replay.ignoredPaths {
        case let paths? where !paths.isEmpty:
            out += "<li>Left out (--ignore): " + paths.map { "<code>\(e($0))</code>" }.joined(separator: ", ") + "</li>\n"
        case _?:
            out += "<li>No path left out (--ignore).</li>\n"
        case nil:
            out += "<li>Paths left out with --ignore are not in the replay result; see the command line of the run.</li>\n"
        }
        out += "</ul></section>\n"
    }

    func badges(_ view: SessionView) -> String {
        var b: [String] = []
        if view.replayed {
            if view.results.isEmpty {
                b.append("<span class=\"badge muted\">not replayed</span>")
            }
            for r in view.results {
                let run = view.results.count > 1 ? " #\(r.run)" : ""
                switch r.verdict {
                case "passed": b.append("<span class=\"badge ok\">PASS\(run)</span>")
                case "failed": b.append("<span class=\"badge bad\">FAIL\(run)</span>")
                default: b.append("<span class=\"badge muted\">\(e(r.verdict.uppercased()))\(run)</span>")
                }
            }
        }
        for code in view.errorCodes { b.append("<span class=\"badge bad\">\(e(code))</span>") }
        if let close = view.session.websocket?.close, let code = close.code {
            b.append("<span class=\"badge \(ErrorSignals.isError(close.frame) ? "bad" : "ok")\">close \(code)</span>")
        }
        if view.errors > 0 { b.append("<span class=\"badge warn\">\(view.errors) error\(view.errors == 1 ? "" : "s")</span>") }
        let anomalies = view.session.anomalies.count
        if anomalies > 0 { b.append("<span class=\"badge warn\">\(anomalies) anomal\(anomalies == 1 ? "y" : "ies")</span>") }
        if let end = view.session.end, end.kind != .closed { b.append("<span class=\"badge warn\">\(e(end.kind.rawValue))</span>") }
        if b.isEmpty { b.append("<span class=\"badge ok\">ok</span>") }
        return b.joined(separator: " ")
    }
}

extension SessionView {
    /// CSS classes the filter buttons select on.
    var filterClasses: String {
        var classes = ["session-row"]
        if failed { classes.append("failed") }
        if failed || errors > 0 || !session.anomalies.isEmpty { classes.append("problem") }
        return classes.joined(separator: " ")
    }

    /// `POST /auth/token, GET /ws → WebSocket (3 messages)`.
    var what: String {
        var parts = session.exchanges.map { "\($0.request.method) \($0.request.path)" }
        if let ws = session.websocket { parts.append("WebSocket (\(ws.messages.count) messages)") }
        return parts.isEmpty ? "(no request)" : parts.joined(separator: ", ")
    }
}
