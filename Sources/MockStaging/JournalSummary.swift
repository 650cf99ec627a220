public import TrafficModel

/// What a run of the mock amounted to, from its journal: requests served,
/// requests no recording answered, WebSocket messages that were not the
/// recorded ones, and which recorded sessions were used. Pure, for
/// `serve --exec`'s summary line, exit status and JUnit report.
public struct JournalSummary: Sendable {
    /// One recorded session and what the run did with it.
    public struct SessionUse: Sendable, Equatable {
        public var recording: String
        public var session: String
        /// Requests (handshakes included) answered from this session.
        public var served: Int
        /// The WebSocket mismatches journaled against it, one line each.
        public var mismatches: [String]
    }

    public var served = 0
    /// `GET /x → unmatched …` lines: requests answered with the unmatched
    /// status (no recorded exchange, or every one already served).
    public var unmatched: [String] = []
    /// Client WebSocket messages the recording did not expect, one line each.
    public var webSocketMismatches: [String] = []
    /// Every recorded session, recording by recording, in the order they started.
    public var sessions: [SessionUse] = []
    /// The `--fault`s performed, one log line each (not failures: they were asked for).
    public var faults: [String] = []

    public init(journal: [JournalEntry], recordings: [(name: String, recording: Recording)]) {
        var index: [String: Int] = [:]
        for (r, named) in recordings.enumerated() {
            // In the order the sessions started, as `inspect` and the report list them (files list them as they ended).
            let byStart = named.recording.sessions.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
            for session in byStart {
                index[Self.key(r, session.id)] = sessions.count
                sessions.append(SessionUse(recording: named.name, session: session.id, served: 0, mismatches: []))
            }
        }
        func use(_ reference: RecordedReference, _ change: (inout SessionUse) -> Void) {
            guard let i = index[Self.key(reference.recording, reference.session)] else { return }
            change(&sessions[i])
        }
        for entry in journal {
            switch entry {
            case .served(_, let reference, _, _, _, _):
                served += 1
                use(reference) { $0.served += 1 }
            case .unmatched, .exhausted:
                unmatched.append(entry.logLine)
            case .webSocketMismatch(let reference, _, _):
                webSocketMismatches.append(entry.logLine)
                use(reference) { $0.mismatches.append(entry.logLine) }
            case .webSocketChosen(let chosen, let released, _):
                // The handshake was journaled against the tree's first
                // session; the client's messages moved it to `chosen`.
                if let released, released != chosen {
                    use(released) { $0.served -= 1 }
                    use(chosen) { $0.served += 1 }
                }
            case .fault:
                faults.append(entry.logLine)
            case .sessionEnded:
                continue
            }
        }
    }

    private static func key(_ recording: Int, _ session: String) -> String { "\(recording)\u{0}\(session)" }

    /// True when no request reached the mock (admin requests aside).
    public var sawNoRequest: Bool { served == 0 && unmatched.isEmpty }

    public var used: Int { sessions.filter { $0.served > 0 }.count }

    /// `mock: 5 requests served, 0 unmatched, 0 WebSocket mismatches; 3 of 6 recorded sessions used`.
    public var line: String {
        "mock: \(Self.count(served, "request")) served, \(unmatched.count) unmatched, "
            + "\(Self.count(webSocketMismatches.count, "WebSocket mismatch", "WebSocket mismatches")); "
            + "\(used) of \(Self.count(sessions.count, "recorded session")) used"
            + (faults.isEmpty ? "" : "; \(Self.count(faults.count, "fault")) performed")
    }

    /// Said, loudly, when the command sent nothing: a test runner that ran no
    /// test reports "0 passed, 0 failed" and looks green.
    public static let noRequest = "the command sent no request: did its tests run?"

    /// `serve --exec`'s exit status: the command's when non-zero; else 1 when
    /// it sent no request, or anything unmatched (unless allowed); else 0.
    public func exitStatus(commandStatus: Int32, allowUnmatched: Bool) -> Int32 {
        if commandStatus != 0 { return commandStatus }
        if sawNoRequest { return 1 }
        if !allowUnmatched, !unmatched.isEmpty || !webSocketMismatches.isEmpty { return 1 }
        return 0
    }

    /// The mock's view as JUnit: one testcase per recorded session (used:
    /// passed, or failed with its mismatches; unused: skipped), and one
    /// failed testcase per unmatched request (skipped when they are allowed).
    public func junit(allowUnmatched: Bool) -> JUnitXML {
        var cases = sessions.map { use in
            let outcome: JUnitXML.TestCase.Outcome
            if !use.mismatches.isEmpty {
                outcome = .failed(message: use.mismatches[0], text: use.mismatches.joined(separator: "\n"))
            } else if use.served > 0 {
                outcome = .passed
            } else {
                outcome = .skipped(message: "not used: no request was answered from this recorded session")
            }
            return JUnitXML.TestCase(classname: use.recording, name: "session \(use.session)", outcome: outcome)
        }
        for line in unmatched {
            let outcome: JUnitXML.TestCase.Outcome = allowUnmatched
                ? .skipped(message: "unmatched (allowed by --allow-unmatched): \(line)")
                : .failed(message: line, text: line)
            cases.append(JUnitXML.TestCase(classname: "unmatched", name: line, outcome: outcome))
        }
        if sawNoRequest {
            cases.append(JUnitXML.TestCase(classname: "authreplay serve", name: "requests", outcome: .failed(message: Self.noRequest, text: Self.noRequest)))
        }
        return JUnitXML(suite: "authreplay serve", testcases: cases)
    }

    private static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }
}
