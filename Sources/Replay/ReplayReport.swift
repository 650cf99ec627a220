public import TrafficModel

/// The outcome of one session's replay (one run of it, with `--repeat`).
public struct SessionResult: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable {
        case passed, failed, skipped
    }

    /// The session's name, with the run number when replays were repeated.
    public var name: String
    public var session: String
    public var recording: String
    /// 1-based run number.
    public var run: Int
    public var verdict: Verdict
    /// One readable line per difference or failure reason.
    public var differences: [String]
    /// Things worth knowing that are not failures (a token not chained).
    public var notes: [String]
    public var seconds: Double
    /// What the target really did in this run, as a session (requests as
    /// sent, live answers); nil when the session was skipped.
    public var observed: Session?
    /// When the observed session started, in seconds since the epoch.
    public var observedAt: Double?

    public init(
        name: String, session: String, recording: String, run: Int, verdict: Verdict,
        differences: [String] = [], notes: [String] = [], seconds: Double = 0, observed: Session? = nil, observedAt: Double? = nil
    ) {
        self.name = name
        self.session = session
        self.recording = recording
        self.run = run
        self.verdict = verdict
        self.differences = differences
        self.notes = notes
        self.seconds = seconds
        self.observed = observed
        self.observedAt = observedAt
    }
}

/// Every session's verdict, and the ways to print them.
public struct ReplayReport: Sendable {
    public var results: [SessionResult]

    public init(results: [SessionResult]) {
        self.results = results
    }

    public var passed: Int { results.filter { $0.verdict == .passed }.count }
    public var failed: Int { results.filter { $0.verdict == .failed }.count }
    public var skipped: Int { results.filter { $0.verdict == .skipped }.count }
    public var executed: Int { passed + failed }

    /// `N passed, N failed`, plus `, N skipped` when sessions were skipped.
    public var summaryLine: String {
        "\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")
    }

    /// Said instead of passing when nothing ran.
    public static let nothingExecuted = "no session was executed: a replay that tests nothing is an error"

    /// 0 when every executed session passed and at least one executed; 1
    /// when any failed; 2 when none executed.
    public var exitCode: Int32 {
        if failed > 0 { return 1 }
        return executed > 0 ? 0 : 2
    }

    /// `PASS s1` / `FAIL s2` with the differences indented below.
    public var lines: [String] {
        var out: [String] = []
        for result in results {
            switch result.verdict {
            case .passed: out.append("PASS \(result.name)")
            case .failed: out.append("FAIL \(result.name)")
            case .skipped: out.append("SKIP \(result.name)")
            }
            out += result.differences.map { "    \($0)" }
            out += result.notes.map { "    note: \($0)" }
        }
        return out
    }

    /// The diff of a failed session on one line, as the issue shows it:
    /// `server message 1: $.type expected …; $.error_code new …`.
    public static func diffText(_ result: SessionResult) -> String {
        result.differences.joined(separator: "\n")
    }

    public var json: JSONValue {
        .object([
            ("passed", .int(passed)),
            ("failed", .int(failed)),
            ("skipped", .int(skipped)),
            ("sessions", .array(results.map { r in
                .object([
                    ("name", .string(r.name)),
                    ("session", .string(r.session)),
                    ("recording", .string(r.recording)),
                    ("run", .int(r.run)),
                    ("verdict", .string(r.verdict.rawValue)),
                    ("seconds", .fixed(r.seconds, decimals: 3)),
                    ("differences", .array(r.differences.map(JSONValue.string))),
                    ("notes", .array(r.notes.map(JSONValue.string))),
                ])
            })),
        ])
    }

    /// JUnit XML: one testsuite, one testcase per session run; a failed
    /// session's failure text is its diff, a skipped one is `<skipped/>`.
    public func junitXML(suite: String = "authreplay replay") -> String {
        JUnitXML(suite: suite, testcases: results.map { r in
            let outcome: JUnitXML.TestCase.Outcome
            switch r.verdict {
            case .passed: outcome = .passed
            case .failed: outcome = .failed(message: r.differences.first ?? "failed", text: Self.diffText(r))
            case .skipped: outcome = .skipped(message: r.notes.first ?? "skipped")
            }
            return JUnitXML.TestCase(classname: r.recording, name: r.name, seconds: r.seconds, outcome: outcome)
        }).render()
    }
}
