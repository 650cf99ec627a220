import TrafficModel

/// What the demo expects of the answers: pure checks over the client's transcript.
enum DemoChecks {
    static let agentEvents = ["agent_started", "agent_thinking", "tool_executing", "agent_completed"]

    /// The problems with the answers of the live service (empty: as expected).
    static func live(_ all: [DemoAnswer]) -> [String] {
        var problems: [String] = []
        func answers(of step: String) -> [DemoAnswer] { all.filter { $0.step == step } }
        func type(_ answer: DemoAnswer?) -> String? { answer?.json?["type"]?.stringValue }

        let login = answers(of: "login").first
        if login?.status != 200 { problems.append("login answered \(login?.status ?? 0), expected 200") }
        let profile = answers(of: "profile").first
        if profile?.status != 200 { problems.append("/api/me answered \(profile?.status ?? 0), expected 200") }

        let bearer = answers(of: "ws bearer")
        let bearerTypes = bearer.filter { $0.kind == .message }.map { type($0) ?? "?" }
        if bearerTypes != ["connection_established"] + agentEvents {
            problems.append("the WebSocket with the token answered \(bearerTypes), expected connection_established and the 4 agent events")
        }
        if bearer.last?.kind != .close || bearer.last?.closeCode != 1000 { problems.append("the WebSocket with the token did not close with 1000") }

        let anonymous = answers(of: "ws no token")
        let frame = anonymous.first { $0.kind == .message }
        if frame?.json?["error_code"]?.stringValue != "AUTH_REQUIRED" {
            problems.append("the WebSocket without a token answered \(frame?.text ?? "nothing"), expected an AUTH_REQUIRED frame")
        }
        if anonymous.last?.kind != .close || anonymous.last?.closeCode != 1008 { problems.append("the WebSocket without a token did not close with 1008") }
        return problems
    }

    /// The first answer that differs, described; nil when all are equal.
    static func firstMismatch(expected: [DemoAnswer], actual: [DemoAnswer]) -> String? {
        for (index, (want, got)) in zip(expected, actual).enumerated() where want != got {
            return "answer \(index + 1) differs: expected \(want), got \(got)"
        }
        if expected.count != actual.count {
            return "expected \(expected.count) answers, got \(actual.count)"
        }
        return nil
    }
}
