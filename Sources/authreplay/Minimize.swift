import ArgumentParser
import Fixtures
import Foundation
import MockStaging
import Replay
import TrafficModel

struct Minimize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reduce a recording to the smallest part that still reproduces an outcome.",
        discussion: """
        Delta debugging (ddmin): sessions first, then each kept session's exchanges, then each \
        kept WebSocket's client messages (a client message goes with the server's answer to it). \
        Every candidate is replayed, against --target or against the mock serving the candidate \
        itself (--mock), and kept when what came back shows every --until condition in one session:

          status=401              a response had this status
          close=1008              the WebSocket closed with this code (1006: dropped without a close frame)
          error_code=AUTH_REQUIRED  a server message or response body has this JSON member, at any depth
          NAME=VALUE              the same for any other member (type=error_message)

        The reduced recording is written atomically, redacted as the input was; the summary \
        says what was removed and how many runs it took. Exit 0 when written, 1 when the whole \
        recording does not reproduce the outcome, 2 for usage errors.

        Example:
          authreplay minimize bug.json --mock --until error_code=AUTH_REQUIRED --output min.json
          authreplay minimize bug.json --target http://127.0.0.1:8000 --until close=1008 --output min.json
        """
    )

    @Argument(help: "The recording to reduce (authreplay/1 JSON).")
    var recording: String

    @Option(help: "Replay candidates against this server (http://HOST:PORT or https://HOST:PORT).")
    var target: String?

    @Flag(help: "Replay each candidate against the mock serving that candidate (no server needed).")
    var mock = false

    @Option(name: .customLong("until"), help: ArgumentHelp("KEY=VALUE that must still happen (status=401, close=1008, error_code=AUTH_REQUIRED). Repeatable: all must hold in one session.", valueName: "expr"))
    var until: [String] = []

    @Option(name: .shortAndLong, help: "Where to write the reduced recording (written atomically).")
    var output: String

    @Option(help: "At most this many candidate runs; past it, the smallest recording found so far is written.")
    var maxRuns = 500

    @Option(help: "Seconds to wait for each step of a run (connect, a response, a server message, the close).")
    var timeout = 5.0

    @Option(name: .customLong("secret"), help: ArgumentHelp("RULE=VALUE: a secret the redacted recording sends, bound for the runs only (as replay --secret).", valueName: "rule=value"))
    var secrets: [String] = []

    @Option(name: .customLong("secrets-file"), help: "A file of RULE=VALUE lines (like --secret).")
    var secretsFile: String?

    @Option(name: .customLong("rules"), help: "The redaction rules file the recording was redacted with (default: ./\(RedactionRules.fileName) when it exists).")
    var rulesFile: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (target == nil) != !mock else { throw ValidationError("give exactly one of --target URL and --mock") }
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        do {
            _ = try Outcome(parsing: until)
            if let target { _ = try ReplayTarget(url: target) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let outcome = try Outcome(parsing: until)
        let original = try RecordingFiles.load(recording)
        let rules = try mock ? ServingRules.load(rulesFile, for: [(recording, original)]) : RedactionRulesFiles.load(rulesFile, key: .ifPresent)
        let bindings = try SecretOptions.bindings(secrets, file: secretsFile)
        let (bound, _) = try SecretOptions.bind(bindings, in: original, name: recording, rules: rules)
        let runner = CandidateRunner(
            outcome: outcome, target: try target.map { try ReplayTarget(url: $0) }, timeout: timeout, rules: rules, name: recording
        )
        let progress = ProgressLine()
        let counter = RunCounter()
        let result: Minimizer.Result
        do {
            result = try await Minimizer(maximumRuns: maxRuns).minimize(bound) { selection in
                let candidate = selection.apply(to: bound)
                let reproduced = await runner.reproduces(candidate, served: selection.apply(to: original))
                let n = counter.next()
                progress.update("run \(n): \(Minimizer.Counts(candidate)) \(reproduced ? "reproduce" : "do not reproduce") \(outcome)")
                return reproduced
            }
        } catch {
            progress.finish()
            Terminal.error("\(recording): \(error)")
            throw CommandFailure(code: Exit.failure)
        }
        progress.finish()
        // The runs used bound secrets; what is written is the input's own (redacted) form.
        let reduced = result.selection.apply(to: original)
        try RedactionRulesFiles.writeAtomically(RecordingCodec.encodeBytes(reduced), to: output)
        let kept = result.selection.sessions.map { original.sessions[$0].id }
        if json {
            let summary: JSONValue = .object([
                ("output", .string(output)),
                ("outcome", .string(outcome.description)),
                ("runs", .int(result.runs)),
                ("budgetReached", .bool(result.budgetReached)),
                ("sessions", .array(kept.map(JSONValue.string))),
                ("before", counts(result.before)),
                ("after", counts(result.after)),
            ])
            print(JSONWriter.pretty(summary), terminator: "")
        } else {
            print("\(output): \(result.after) (from \(result.before)); kept \(kept.joined(separator: ", "))")
            print("\(outcome) still reproduces; \(result.runs) run\(result.runs == 1 ? "" : "s")"
                + (result.budgetReached ? " (--max-runs \(maxRuns) reached: smaller may exist)" : ""))
        }
    }

    private func counts(_ c: Minimizer.Counts) -> JSONValue {
        .object([("sessions", .int(c.sessions)), ("exchanges", .int(c.exchanges)), ("messages", .int(c.messages))])
    }
}

/// Counts runs for the progress line (the minimizer runs candidates one at a time).
private final class RunCounter {
    private var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}

/// Runs one candidate: replays its client side against the target, or
/// against a mock serving the candidate itself, and asks the outcome.
struct CandidateRunner: Sendable {
    var outcome: Outcome
    var target: ReplayTarget?
    var timeout: Double
    var rules: RedactionRules
    var name: String

    /// `candidate` is what is sent (secrets bound); `served`, the same
    /// selection of the redacted recording, is what the mock serves.
    func reproduces(_ candidate: Recording, served: Recording) async -> Bool {
        if let target { return await replay(candidate, against: target) }
        let server: MockStagingServer
        do {
            server = try await MockStagingServer.start(
                named: [(name, served)], configuration: .init(host: "127.0.0.1", port: 0, redactionRules: rules)
            )
        } catch {
            return false
        }
        let reproduced = await replay(candidate, against: ReplayTarget(host: "127.0.0.1", port: server.port))
        try? await server.stop()
        return reproduced
    }

    private func replay(_ candidate: Recording, against target: ReplayTarget) async -> Bool {
        guard let plan = try? ReplayPlan.build([ReplayPlan.Input(name: name, recording: candidate)], sessions: [], target: target) else {
            return false
        }
        let options = ReplayOptions(target: target, timeout: timeout, tls: target.tls ? try? ReplayTLS() : nil)
        let report = await ReplayDriver().run(plan, options: options, now: Timestamp.wallClock())
        return outcome.holds(inAny: report.results.compactMap(\.observed))
    }
}
