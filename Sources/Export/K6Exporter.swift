public import Replay
public import TrafficModel

/// Recordings as a k6 script (k6's `k6/http` and `k6/ws`) that replays their
/// client side, for load on an engine built for it. Pure: recordings in,
/// JavaScript text out.
///
/// What to send and what to expect come from `Replay.ReplayPlan` (the same
/// plan `authreplay replay` runs); sessions that share an issued token form
/// one unit (`ReplayDriver.chainGroups`), replayed in order with one token
/// chain in one k6 iteration. Iteration `n` of the test (k6's
/// `exec.scenario.iterationInTest`, unique across execution segments) runs
/// unit `n mod units`: the default scenario runs every unit once, shared by
/// the VUs and split by `--execution-segment`; a longer run cycles through
/// the recorded sessions, so each is weighted by how often it was recorded.
///
/// Checks: each response's status; each recorded semantic member
/// (`PayloadComparator.defaultSemanticKeys`: `type`, `error_code`, …) at the
/// top of a JSON body or WebSocket message; each expected server message
/// arriving; the close (who closed first, the code). The `checks` threshold
/// makes `k6 run` exit non-zero when any check fails.
public struct K6Exporter: Sendable {
    /// A secret bound at export time: the recording holds `marker` where it
    /// is sent; the script reads the value from k6's `__ENV[env]` at run time.
    public struct Secret: Sendable, Hashable {
        public var rule: String
        public var env: String
        public var marker: String

        public init(rule: String, env: String, marker: String) {
            self.rule = rule
            self.env = env
            self.marker = marker
        }

        /// Letters and digits only: unchanged by JSON escaping and percent-encoding.
        public static func marker(_ index: Int) -> String { "AUTHREPLAYSECRET\(index)X" }
    }

    public struct Statistics: Sendable, Equatable {
        public var units = 0
        public var sessions = 0
        public var requests = 0
        public var webSocketMessages = 0
        public var checks = 0
        public init() {}
    }

    public struct Script: Sendable {
        public var text: String
        public var statistics: Statistics
        /// Sessions left out (nothing to send), with the reason.
        public var skipped: [(name: String, reason: String)]
        /// `http://HOST:PORT` of the first recorded session: `__ENV.TARGET`'s default.
        public var recordedTarget: String
    }

    public var toolVersion: String
    /// Seconds k6 waits for a response or for a WebSocket session to finish.
    public var stepTimeout: Double
    public var secrets: [Secret]

    public init(toolVersion: String, stepTimeout: Double = 10, secrets: [Secret] = []) {
        self.toolVersion = toolVersion
        self.stepTimeout = stepTimeout
        self.secrets = secrets
    }

    public func script(_ inputs: [ReplayPlan.Input]) throws(ExportError) -> Script {
        guard let first = inputs.lazy.flatMap(\.recording.sessions).first(where: { !$0.exchanges.isEmpty }) else {
            throw ExportError(.nothingToExport, "the recordings hold no session with an HTTP request to replay")
        }
        let server = first.server
        let host = server.host.contains(":") ? "[\(server.host)]" : server.host
        let recordedTarget = "\(server.port == 443 ? "https" : "http")://\(host):\(server.port)"
        // No selection: building cannot fail (it throws only for an unknown selected session).
        guard let plan = try? ReplayPlan.build(inputs, target: ReplayTarget(host: server.host, port: Int(server.port), tls: server.port == 443)) else {
            throw ExportError(.nothingToExport, "the recordings could not be planned for replay")
        }
        var statistics = Statistics()
        var builder = K6StepBuilder()
        var units: [JSONValue] = []
        for group in ReplayDriver.chainGroups(plan) {
            let sessions = group.map { index -> JSONValue in
                let session = plan.sessions[index]
                return .object([("name", .string(session.name)), ("steps", .array(session.steps.map { builder.step($0) }))])
            }
            units.append(.object([("sessions", .array(sessions))]))
            statistics.sessions += group.count
        }
        statistics.units = units.count
        statistics.requests = builder.requests
        statistics.webSocketMessages = builder.messages
        statistics.checks = builder.checks
        let text = K6ScriptText(
            toolVersion: toolVersion, sources: inputs.map(\.name), recordedTarget: recordedTarget, stepTimeout: stepTimeout,
            secrets: secrets, units: units, skipped: plan.skipped, statistics: statistics
        ).text
        return Script(text: text, statistics: statistics, skipped: plan.skipped, recordedTarget: recordedTarget)
    }
}
