import ArgumentParser
import Foundation
import Replay
import Report
import TrafficModel

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded client traffic against a server and diff what comes back.",
        discussion: """
        Each recorded session's requests, WebSocket handshake and client messages are \
        sent to the target in recorded order; every response, server message and close \
        is compared with the recording. Status codes, enum-like fields (type, \
        error_code) and JSON structure must be equal; volatile values (timestamps, \
        UUIDs, JWTs, ids) only need the same shape. Headers compared: Content-Type \
        (media type), WWW-Authenticate (scheme), Sec-WebSocket-Protocol, Upgrade.

        Tokens a recorded response issued (login answers, Set-Cookie) are replaced in \
        later requests by the values the target issues. --resign-jwt (HMAC) or \
        --resign-jwt-key (a PEM private key) re-signs the other recorded JWTs, iat/nbf/exp \
        shifted so they relate to now as they did to the moment of use. With a key, a token \
        keeps its alg when the key signs with it (an RSA key: RS*/PS*), else it gets the \
        key's own: RS256 for RSA, ES256/ES384/ES512 for EC P-256/P-384/P-521, EdDSA for Ed25519.

        An https:// target is spoken to over TLS (SNI: the target host), WebSocket \
        sessions included (wss): its certificate is checked against the system trust \
        roots, plus --ca-file for a staging CA; --insecure turns the check off (with a \
        warning). A handshake or certificate failure fails the session with its reason.

        Prints PASS/FAIL per session with the differences; the last line is \
        "N passed, N failed". Exit 0 when at least one session ran and all passed, 1 when \
        any failed, 2 for usage errors and when no session ran.

        Example:
          authreplay replay recordings/auth-required.json --target http://127.0.0.1:8000
          authreplay replay rec.json --target http://localhost:8000 --session s2 --junit replay.xml
          authreplay replay rec.json --target http://localhost:8000 --html replay.html
          authreplay replay rec.json --target https://staging.internal:8443 --ca-file staging-ca.pem
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(help: "The server to replay against: http://HOST:PORT, or https://HOST:PORT (TLS; WebSocket sessions upgrade over TLS).")
    var target: String

    @Option(help: ArgumentHelp("A PEM file of CA certificates trusted for an https target, besides the system's.", valueName: "pem"))
    var caFile: String?

    @Flag(help: "Do not verify an https target's certificate (only when asked; never the default).")
    var insecure = false

    @Option(name: .customLong("session"), help: "Replay only this session (id, or FILE#id with several recordings). Repeatable.")
    var sessions: [String] = []

    @Option(help: "Independent sessions replayed in parallel.")
    var concurrency = 1

    @Option(name: .customLong("repeat"), help: "Replay every session this many times.")
    var repetitions = 1

    @Option(help: "Seconds to wait for each step: connect (and the TLS handshake), a response, a server message, the close.")
    var timeout = ReplayOptions.defaultTimeout

    @Option(name: .customLong("ignore"), help: "A JSON path left out of payload comparison ($.timestamp). Repeatable.")
    var ignoredPaths: [String] = []

    @Flag(help: "Compare bodies and payloads byte for byte.")
    var exact = false

    /// Re-signs recorded JWTs not issued within the recording with the key the target trusts.
    @OptionGroup var signing: ResignKeyOptions

    @Option(
        name: .customLong("secret"),
        help: ArgumentHelp(
            "RULE=VALUE: a secret the redacted recording sends, bound for this run only (RULE as the recording's redaction counts name it: body:password, header:x-api-key, authorization, cookie, query:api_key; or redacted:PSEUDONYM for one value). VALUE literal or env:NAME. Repeatable.",
            valueName: "rule=value")
    )
    var secrets: [String] = []

    @Option(name: .customLong("secrets-file"), help: "A file of RULE=VALUE lines (like --secret; # comments), kept outside git.")
    var secretsFile: String?

    @Option(name: .customLong("rules"), help: "The redaction rules file the recordings were redacted with (default: ./\(RedactionRules.fileName) when it exists).")
    var rulesFile: String?

    @Option(help: "Gaps between a session's steps: fast (none), recorded, or a factor of the recorded gaps. Time relations an outcome depended on (a token used after its expiry) are kept in every mode.")
    var pace = "fast"

    @Option(help: "The longest wait kept for such a time relation, in seconds; a longer one is not waited (the session says so).")
    var maxWait = 120.0

    @Option(help: "Also write a JUnit XML report to this file (one testcase per session).")
    var junit: String?

    @Option(help: ArgumentHelp("Also write the recordings and this run's differences as one self-contained HTML page (see `authreplay report`).", valueName: "file"))
    var html: String?

    @Flag(help: "Print the full result as JSON (the summary line goes to stderr).")
    var json = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        guard ReplayPace(argument: pace) != nil else { throw ValidationError("--pace must be fast, recorded or a non-negative factor, not \(pace)") }
        guard maxWait >= 0, maxWait.isFinite else { throw ValidationError("--max-wait must be a non-negative number of seconds") }
        for path in ignoredPaths where !path.hasPrefix("$") {
            throw ValidationError("--ignore takes a JSON path starting with $, e.g. $.timestamp (got \"\(path)\")")
        }
        let replayTarget: ReplayTarget
        do {
            replayTarget = try ReplayTarget(url: target)
        } catch {
            throw ValidationError("\(error)")
        }
        if !replayTarget.tls, caFile != nil || insecure {
            throw ValidationError("--ca-file and --insecure apply to https:// targets only")
        }
    }

    func run() async throws {
        let resigner = try await signing.key().map(JWTResigner.init(key:))
        let bindings = try SecretOptions.bindings(secrets, file: secretsFile)
        let rules = try RedactionRulesFiles.load(rulesFile, key: .ifPresent)
        var inputs: [ReplayPlan.Input] = []
        var recorded: [(name: String, recording: Recording)] = []  // as on disk, secrets unbound, for --html
        var unbound: [String: [String: [String]]] = [:]  // recording → session → redacted values sent
        for path in recordings {
            let recording = try RecordingFiles.load(path)
            recorded.append((path, recording))
            let (bound, left) = try SecretOptions.bind(bindings, in: recording, name: path, rules: rules)
            inputs.append(ReplayPlan.Input(name: path, recording: bound))
            unbound[path] = left
        }
        let options: ReplayOptions
        let plan: ReplayPlan
        do {
            let replayTarget = try ReplayTarget(url: target)
            var configured = ReplayOptions(
                target: replayTarget, timeout: timeout, concurrency: concurrency, repetitions: repetitions,
                comparison: ComparisonOptions(exact: exact, ignoredPaths: ignoredPaths),
                resigner: resigner,
                tls: replayTarget.tls ? try ReplayTLS(caFile: caFile, insecure: insecure) : nil
            )
            configured.pace = ReplayPace(argument: pace) ?? .fast
            configured.maxWait = maxWait
            options = configured
            plan = try ReplayPlan.build(inputs, sessions: sessions, target: replayTarget)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.usage)
        }

        if insecure {
            Terminal.info("warning: --insecure: the target's certificate is NOT verified; anyone on the path can impersonate \(target)")
        }
        var report = await ReplayDriver().run(plan, options: options, now: Date().timeIntervalSince1970)
        SecretOptions.note(unbound, in: &report)

        if json {
            print(JSONWriter.pretty(report.json), terminator: "")
            Terminal.info(report.summaryLine)
        } else {
            for line in report.lines {
                let style: Timeline.Line.Style = line.hasPrefix("FAIL") ? .error : line.hasPrefix("    ") ? .normal : .heading
                print(Terminal.style(line, style))
            }
            print(report.summaryLine)
        }
        if let junit {
            do {
                try report.junitXML().write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                Terminal.error("\(junit): cannot write the JUnit report: \(error.localizedDescription)")
                throw CommandFailure(code: Exit.failure)
            }
        }
        if let html {
            // From the JSON result, as `report --replay` reads it; bound secrets never reach the page.
            var outcome = try ReplayOutcome(json: report.json).scrubbing(bindings.map(\.value))
            outcome.ignoredPaths = ignoredPaths
            outcome.exact = exact
            try ReportCommand.write(HTMLReport.render(recordings: recorded, replay: outcome, title: "authreplay replay against \(target)"), to: html)
        }
        if report.executed == 0 { Terminal.error(ReplayReport.nothingExecuted) }
        if report.exitCode != Exit.ok { throw CommandFailure(code: report.exitCode) }
    }
}
