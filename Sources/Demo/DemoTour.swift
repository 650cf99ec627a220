public import ExampleStagingService
public import Foundation
public import MockStaging
public import Replay
public import TrafficModel

/// The steps of `authreplay demo`; each either behaves as expected or throws `StepFailure`.
/// A library of its own so that only the demo links the example staging service.
public struct DemoTour: Sendable {
    public struct StepFailure: Error {
        public var step: Int
        public var reason: String
    }

    static let recordingName = "recording.json"

    var outputDir: String
    /// Seconds for each client step and each replayed step.
    var timeout: Double
    /// Written into a live capture's `Source` (the CLI passes its name and version).
    var tool: String
    /// Redaction rules with the project's pseudonym key (the CLI's).
    var rules: RedactionRules
    /// Prints one line of the tour; the caller decides on colours.
    var say: @Sendable (String, Timeline.Line.Style) -> Void

    public init(
        outputDir: String, timeout: Double, tool: String, rules: RedactionRules = .default,
        say: @escaping @Sendable (String, Timeline.Line.Style) -> Void
    ) {
        self.outputDir = outputDir
        self.timeout = timeout
        self.tool = tool
        self.rules = rules
        self.say = say
    }

    private func heading(_ step: Int, _ text: String) {
        say("", .normal)
        say("\(step). \(text)", .heading)
    }

    /// Runs `body`, turning any error into a failure of `step`.
    private func step<T>(_ step: Int, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure(step: step, reason: "\(error)")
        }
    }

    public func run() async throws {
        let user = StagingService.User.alice

        heading(1, "Starting the example staging service")
        let service = try await step(1) { try await StagingService.start(configuration: .init()) }
        do {
            try await tour(service: service, user: user)
        } catch {
            try? await service.stop()
            throw error
        }
        try? await service.stop()
    }

    private func tour(service: StagingService, user: StagingService.User) async throws {
        say("   listening on \(service.baseURL) (auth failures: AUTH_REQUIRED frame, close 1008)", .normal)

        heading(2, "Recording a client session")
        let (raw, live) = try await step(2) { try await record(service: service, user: user) }
        for answer in live { say("   \(abbreviated(answer.description))", .dim) }
        let problems = DemoChecks.live(live)
        guard problems.isEmpty else { throw StepFailure(step: 2, reason: problems.joined(separator: "; ")) }
        guard raw.sessions.count == 4 else {
            throw StepFailure(step: 2, reason: "the recording holds \(raw.sessions.count) sessions, expected 4")
        }
        say("   \(raw.sessions.count) sessions recorded", .normal)

        heading(3, "Redacting the recording and writing it")
        let redactor = Redactor(rules: rules)
        let (redacted, summary) = redactor.redact(raw)
        let recordingPath = (outputDir as NSString).appendingPathComponent(Self.recordingName)
        try await step(3) {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            try Data(RecordingCodec.encodeBytes(redacted)).write(to: URL(fileURLWithPath: recordingPath))
        }
        let replaced = summary.counts.values.reduce(0, +)
        say("   \(recordingPath): \(replaced) secret\(replaced == 1 ? "" : "s") replaced (\(summary.counts.keys.sorted().joined(separator: ", ")))", .normal)
        say("   the only copy written: replays bind the password at run time (--secret body:password=…)", .normal)
        say("", .normal)
        for line in Timeline.render(redacted) { say("   \(line.text)", line.style) }

        heading(4, "Serving the recording from the mock and running the same client against it")
        let mockAnswers = try await step(4) {
            let mock = try await MockStagingServer.start(named: [(recordingPath, redacted)], configuration: .init(port: 0, redactionRules: rules))
            say("   mock listening on \(mock.baseURL)", .normal)
            do {
                let answers = try await client(host: mock.host, port: mock.port, user: user).run()
                try await mock.stop()
                return answers
            } catch {
                try? await mock.stop()
                throw error
            }
        }
        let expected = live.map { $0.redacted(redactor) }
        if let mismatch = DemoChecks.firstMismatch(expected: expected, actual: mockAnswers) {
            throw StepFailure(step: 4, reason: mismatch)
        }
        say("   all \(mockAnswers.count) answers equal what the service sent (redacted), timestamps and ids included", .normal)

        // The password is bound in memory for the replays, as `--secret` does; nothing unredacted is written.
        let password = [SecretBinding(target: .rule("body:password"), value: user.password)]
        let (bound, _) = try await step(5) { try SecretBinder(bindings: password, rules: rules).bind(redacted) }

        heading(5, "Replaying the recording against the service with the user-context regression")
        let regressed = try await step(5) {
            let broken = try await StagingService.start(configuration: .init(regression: .userContext))
            say("   regressed service on \(broken.baseURL)", .normal)
            let report = try await replay(bound, name: recordingPath, host: broken.host, port: broken.port)
            try? await broken.stop()
            return report
        }
        printReport(regressed)
        let diff = regressed.results.flatMap(\.differences)
        guard regressed.failed > 0, diff.contains(where: { $0.contains("AUTH_REQUIRED") }) else {
            throw StepFailure(step: 5, reason: "the replay against the regression should fail with an AUTH_REQUIRED diff; got \(regressed.summaryLine)")
        }
        say("   failed as expected: the regression is caught", .normal)

        heading(6, "Replaying the recording against the healthy service")
        let healthy = try await step(6) { try await replay(bound, name: recordingPath, host: service.host, port: service.port) }
        printReport(healthy)
        guard healthy.failed == 0, healthy.executed > 0 else {
            throw StepFailure(step: 6, reason: "the replay against the healthy service should pass; got \(healthy.summaryLine)")
        }

        say("", .normal)
        say("Every step behaved as expected.", .heading)
        say("Files:", .normal)
        say("   \(recordingPath)  (redacted: safe to share, serve and replay)", .normal)
        say("Try next:", .normal)
        say("   authreplay inspect \(recordingPath)", .normal)
        say("   authreplay serve \(recordingPath) --port 0", .normal)
        say("   swift run staging-service --port 8000 --regression user-context", .normal)
        say("   DEMO_PASSWORD=\(user.password) authreplay replay \(recordingPath) --target http://127.0.0.1:8000 --secret body:password=env:DEMO_PASSWORD", .normal)
    }

    private func printReport(_ report: ReplayReport) {
        for line in report.lines {
            say("   \(line)", line.hasPrefix("FAIL") ? .error : line.hasPrefix("    ") ? .normal : .heading)
        }
        say("   \(report.summaryLine)", .normal)
    }

    private func abbreviated(_ text: String) -> String {
        text.count > 110 ? String(text.prefix(109)) + "…" : text
    }
}
