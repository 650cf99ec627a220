import ArgumentParser
import Capture
import ExampleStagingService
import Foundation
import MockStaging
import Replay
import TrafficModel

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A guided tour: record the example staging service, serve the recording, replay it against a regression.",
        discussion: """
        Starts the example staging service on a free loopback port, records a scripted \
        client (login, /api/me, an agent WebSocket, a WebSocket without a token) through \
        live capture on lo (root) or the recording proxy, redacts and writes the recording, serves it from the mock \
        and checks the mock answers as the service did, then replays it against the \
        service with the user-context regression switched on (the replay must fail with \
        the AUTH_REQUIRED diff) and against the healthy service (it must pass). No root \
        needed. Exit 0 when every step behaved as expected, 1 otherwise.

        Example:
          authreplay demo
          authreplay demo --output-dir /tmp/demo
        """
    )

    @Option(help: "Where the recordings are written.")
    var outputDir = "./authreplay-demo"

    @Option(help: "Seconds to wait for each client step and each replayed step.")
    var timeout = 10.0

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let tour = DemoTour(outputDir: outputDir, timeout: timeout) { line, style in print(Terminal.style(line, style)) }
        do {
            try await tour.run()
        } catch let failure as DemoTour.StepFailure {
            Terminal.error("step \(failure.step) did not behave as expected: \(failure.reason)")
            throw CommandFailure(code: Exit.failure)
        }
    }
}

/// The steps of `authreplay demo`; each either behaves as expected or throws `StepFailure`.
struct DemoTour: Sendable {
    struct StepFailure: Error {
        var step: Int
        var reason: String
    }

    static let recordingName = "recording.json"
    static let unredactedName = "recording.unredacted.json"

    var outputDir: String
    var timeout: Double
    var say: @Sendable (String, Timeline.Line.Style) -> Void

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

    func run() async throws {
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
        let (redacted, summary) = Redactor().redact(raw)
        let recordingPath = (outputDir as NSString).appendingPathComponent(Self.recordingName)
        let unredactedPath = (outputDir as NSString).appendingPathComponent(Self.unredactedName)
        try await step(3) {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            try Data(RecordingCodec.encodeBytes(redacted)).write(to: URL(fileURLWithPath: recordingPath))
            try Data(RecordingCodec.encodeBytes(raw)).write(to: URL(fileURLWithPath: unredactedPath))
        }
        let replaced = summary.counts.values.reduce(0, +)
        say("   \(recordingPath): \(replaced) secret\(replaced == 1 ? "" : "s") replaced (\(summary.counts.keys.sorted().joined(separator: ", ")))", .normal)
        say("   \(unredactedPath): the same, unredacted (demo credentials only), for replay", .normal)
        say("", .normal)
        for line in Timeline.render(redacted) { say("   \(line.text)", line.style) }

        heading(4, "Serving the recording from the mock and running the same client against it")
        let mockAnswers = try await step(4) {
            let mock = try await MockStagingServer.start(named: [(recordingPath, redacted)])
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
        let expected = live.map { $0.redacted(Redactor()) }
        if let mismatch = DemoChecks.firstMismatch(expected: expected, actual: mockAnswers) {
            throw StepFailure(step: 4, reason: mismatch)
        }
        say("   all \(mockAnswers.count) answers equal what the service sent (redacted), timestamps and ids included", .normal)

        heading(5, "Replaying the recording against the service with the user-context regression")
        let regressed = try await step(5) {
            let broken = try await StagingService.start(configuration: .init(regression: .userContext))
            say("   regressed service on \(broken.baseURL)", .normal)
            let report = try await replay(raw, name: unredactedPath, host: broken.host, port: broken.port)
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
        let healthy = try await step(6) { try await replay(raw, name: unredactedPath, host: service.host, port: service.port) }
        printReport(healthy)
        guard healthy.failed == 0, healthy.executed > 0 else {
            throw StepFailure(step: 6, reason: "the replay against the healthy service should pass; got \(healthy.summaryLine)")
        }

        say("", .normal)
        say("Every step behaved as expected.", .heading)
        say("Files:", .normal)
        say("   \(recordingPath)  (redacted: safe to share and serve)", .normal)
        say("   \(unredactedPath)  (unredacted: for replay against the service)", .normal)
        say("Try next:", .normal)
        say("   authreplay inspect \(recordingPath)", .normal)
        say("   authreplay serve \(recordingPath) --port 0", .normal)
        say("   swift run staging-service --port 8000 --regression user-context", .normal)
        say("   authreplay replay \(unredactedPath) --target http://127.0.0.1:8000", .normal)
    }

    /// Live capture on `lo` when libpcap may capture (root or CAP_NET_RAW),
    /// the recording proxy otherwise; says which.
    private func record(service: StagingService, user: StagingService.User) async throws -> (Recording, [DemoAnswer]) {
        if let source = try? LiveCaptureSource(interface: "lo", filter: "tcp port \(service.port)") {
            say("   recording with live capture on lo (libpcap; the recording proxy is used where capture is not permitted)", .normal)
            return try await recordLive(source, service: service, user: user)
        }
        say("   recording through the proxy (live capture on lo needs root or CAP_NET_RAW)", .normal)
        let proxy = try await RecordingProxy.start(configuration: .init(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: service.host, port: service.port)
        ))
        say("   proxy \(proxy.baseURL) → \(service.baseURL)", .normal)
        let answers: [DemoAnswer]
        do {
            answers = try await client(host: proxy.host, port: proxy.port, user: user).run()
        } catch {
            _ = try? await proxy.stop()
            throw error
        }
        return (try await proxy.stop(), answers)
    }

    private func recordLive(_ source: LiveCaptureSource, service: StagingService, user: StagingService.User) async throws -> (Recording, [DemoAnswer]) {
        let capturing = Task.detached { () throws -> (Timestamp?, [Session]) in
            var processor = CaptureProcessor(linkType: source.linkType)
            var sessions: [Session] = []
            while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
            return (processor.capturedAt, sessions + processor.finish(truncated: false))
        }
        let answers: [DemoAnswer]
        do {
            answers = try await client(host: service.host, port: service.port, user: user).run()
            // Let the connections' last FIN/ACK packets reach the capture.
            try await Task.sleep(for: .milliseconds(300))
        } catch {
            source.stop()
            _ = try? await capturing.value
            throw error
        }
        source.stop()
        let (capturedAt, sessions) = try await capturing.value
        let recording = Recording(
            source: Source(kind: .live, name: "lo", tool: "authreplay \(AuthReplay.version)"),
            capturedAt: capturedAt ?? Timestamp(seconds: Date().timeIntervalSince1970),
            sessions: sessions
        )
        return (AuthAnalyzer().analyze(recording), answers)
    }

    private func client(host: String, port: Int, user: StagingService.User) -> DemoClient {
        DemoClient(host: host, port: port, username: user.username, password: user.password, timeout: timeout)
    }

    private func replay(_ recording: Recording, name: String, host: String, port: Int) async throws -> ReplayReport {
        let target = ReplayTarget(host: host, port: port)
        let plan = try ReplayPlan.build([ReplayPlan.Input(name: name, recording: recording)], target: target)
        let options = ReplayOptions(target: target, timeout: timeout)
        return await ReplayDriver().run(plan, options: options, now: Date().timeIntervalSince1970)
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
