public import TrafficModel

/// A replay's verdicts as `authreplay replay --json` writes them (Replay's
/// `ReplayReport.json`), read back without importing Replay: the report is
/// drawn from recordings and this document alone, whether it comes from a
/// file (`report --replay RESULT.json`) or straight from a run (`replay --html`).
public struct ReplayOutcome: Sendable, Equatable {
    public struct Result: Sendable, Equatable {
        public var name: String
        public var session: String
        /// The recording as the replay named it (the path it was given).
        public var recording: String
        public var run: Int
        /// `passed`, `failed` or `skipped`.
        public var verdict: String
        public var seconds: Double
        public var differences: [String]
        public var notes: [String]
    }

    public var passed: Int
    public var failed: Int
    public var skipped: Int
    public var results: [Result]
    /// `--ignore` paths of the run, when known (a `replay --html` run knows them; a JSON file does not say).
    public var ignoredPaths: [String]?
    /// `--exact` of the run, when known.
    public var exact: Bool?

    public init(json: JSONValue, file: String? = nil) throws(ReportError) {
        func invalid(_ what: String) -> ReportError {
            ReportError(.invalidReplayResult, "\(file.map { "\($0): " } ?? "")not a replay result (`authreplay replay --json`): \(what)", location: ErrorLocation(file: file))
        }
        guard case .object = json else { throw invalid("the document is not a JSON object") }
        guard let passed = json["passed"]?.intValue, let failed = json["failed"]?.intValue,
              let sessions = json["sessions"]?.arrayValue
        else { throw invalid("passed, failed and sessions are required") }
        self.passed = passed
        self.failed = failed
        skipped = json["skipped"]?.intValue ?? 0
        var results: [Result] = []
        for (i, s) in sessions.enumerated() {
            guard let session = s["session"]?.stringValue, let recording = s["recording"]?.stringValue,
                  let verdict = s["verdict"]?.stringValue
            else { throw invalid("sessions[\(i)] needs session, recording and verdict") }
            results.append(Result(
                name: s["name"]?.stringValue ?? session, session: session, recording: recording,
                run: s["run"]?.intValue ?? 1, verdict: verdict, seconds: s["seconds"]?.doubleValue ?? 0,
                differences: s["differences"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                notes: s["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            ))
        }
        self.results = results
    }

    /// With every occurrence of `secrets` (values bound at replay time with
    /// `--secret`) in differences and notes replaced by `redacted`: a target
    /// that echoes a bound password must not put it into a shareable page.
    public func scrubbing(_ secrets: [String]) -> ReplayOutcome {
        let values = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        guard !values.isEmpty else { return self }
        func scrub(_ text: String) -> String {
            values.reduce(text) { $0.replacing($1, with: "redacted") }
        }
        var copy = self
        for i in copy.results.indices {
            copy.results[i].differences = copy.results[i].differences.map(scrub)
            copy.results[i].notes = copy.results[i].notes.map(scrub)
        }
        return copy
    }

    /// The results for one recorded session: by the recording's name as
    /// given, else by its file name (a report made in another directory).
    func results(recording: String, session: String) -> [Result] {
        let exact = results.filter { $0.recording == recording && $0.session == session }
        if !exact.isEmpty { return exact }
        let file = Self.fileName(recording)
        return results.filter { Self.fileName($0.recording) == file && $0.session == session }
    }

    static func fileName(_ path: String) -> Substring {
        path.split(separator: "/").last ?? Substring(path)
    }
}
