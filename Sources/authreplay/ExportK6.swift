import ArgumentParser
import Export
import Foundation
import Replay
import TrafficModel

struct ExportK6: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k6",
        abstract: "Write a k6 script that replays recordings' client side (load on k6, split by execution segments).",
        discussion: """
        The script (k6/http and k6/ws) replays each recorded session's client side as \
        `authreplay replay` does: requests in order, tokens a response issued chained into \
        later requests, WebSocket messages sent on the recorded triggers. Checks: each \
        status, each recorded type/error_code (and the other semantic members), each server \
        message arriving, the close (who, code); a threshold on the checks makes `k6 run` \
        exit non-zero when one fails. The target is `-e TARGET=URL`, by default the recorded \
        host. The default scenario runs every session once over a few VUs; the options block \
        says how to turn it into load. Secrets: --secret RULE=env:NAME binds a redacted value \
        to k6's environment variable NAME, read when k6 runs (pass -e NAME=...); literal \
        values are refused, since the script is a file.

        Example:
          authreplay export k6 recordings/login-and-websocket.json --output replay.js --secret body:password=env:STAGING_PASSWORD
          STAGING_PASSWORD=... k6 run -e TARGET=http://127.0.0.1:8000 replay.js
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(name: .shortAndLong, help: "Where to write the script (written atomically).")
    var output: String

    @Option(
        name: .customLong("secret"),
        help: ArgumentHelp("RULE=env:NAME: a redacted value the recording sends, replaced at k6 run time by $NAME (RULE as for replay --secret). Repeatable.", valueName: "rule=env:name")
    )
    var secrets: [String] = []

    @Option(name: .customLong("secrets-file"), help: "A file of RULE=env:NAME lines (like --secret; # comments).")
    var secretsFile: String?

    @Option(name: .customLong("rules"), help: "The redaction rules file the recordings were redacted with (default: ./\(RedactionRules.fileName) when it exists).")
    var rulesFile: String?

    @Option(help: "Seconds the script waits for each response, or for a WebSocket session to end.")
    var timeout = 10.0

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() throws {
        let written = try SecretOptions.parsed(secrets, file: secretsFile)
        var exported: [K6Exporter.Secret] = []
        for (index, (binding, origin)) in written.enumerated() {
            guard let name = SecretOptions.environmentName(binding), !name.isEmpty else {
                Terminal.error("\(origin): \(binding.name): give env:NAME, not the value: the script is a file, and k6 reads $NAME when it runs")
                throw CommandFailure(code: Exit.usage)
            }
            exported.append(K6Exporter.Secret(rule: binding.name, env: name, marker: K6Exporter.Secret.marker(index + 1)))
        }
        let rules = try RedactionRulesFiles.load(rulesFile, key: .ifPresent)
        var inputs: [ReplayPlan.Input] = []
        var boundSomewhere = Set<String>()
        var whyNot: [String: String] = [:]
        for path in recordings {
            let recording = try RecordingFiles.load(path)
            var rulesHere = rules
            if recording.redaction?.pseudonymKeyID == nil { rulesHere.pseudonymizer = Pseudonymizer() }  // as SecretOptions.bind
            // With several recordings, a secret binds in those that send it.
            var markers: [SecretBinding] = []
            for (marker, secret) in zip(try Self.markerBindings(written.map(\.binding), exported, for: recording, rules: rules), exported) {
                do {
                    _ = try SecretBinder(bindings: [marker], rules: rulesHere).bind(recording)
                    markers.append(marker)
                } catch {
                    whyNot[secret.marker] = whyNot[secret.marker] ?? "\(path): \(error)"
                }
            }
            let (bound, unbound) = try SecretOptions.bind(markers, in: recording, name: path, rules: rules)
            let text = String(decoding: RecordingCodec.encodeBytes(bound), as: UTF8.self)
            for secret in exported where text.contains(secret.marker) { boundSomewhere.insert(secret.marker) }
            for (session, values) in unbound.sorted(by: { $0.key < $1.key }) {
                Terminal.info("note: \(path)#\(session) sends redacted values unbound (\(values.joined(separator: ", "))); bind them with --secret RULE=env:NAME")
            }
            inputs.append(ReplayPlan.Input(name: path, recording: bound))
        }
        for secret in exported where !boundSomewhere.contains(secret.marker) {
            let why = whyNot[secret.marker] ?? "the value is encoded where it stands (inside a Basic credential's base64); bind it with authreplay replay instead"
            Terminal.error("--secret \(secret.rule): binds nothing the script can send: \(why)")
            throw CommandFailure(code: Exit.usage)
        }
        let script: K6Exporter.Script
        do {
            script = try K6Exporter(toolVersion: AuthReplay.version, stepTimeout: timeout, secrets: exported).script(inputs)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        try RedactionRulesFiles.writeAtomically(Array(script.text.utf8), to: output)
        let s = script.statistics
        for (name, reason) in script.skipped { Terminal.info("note: \(name) left out: \(reason)") }
        Terminal.info("\(output): \(s.sessions) sessions in \(s.units) units, \(s.requests) requests, \(s.webSocketMessages) client WebSocket messages; run: k6 run -e TARGET=\(script.recordedTarget) \(output)")
    }

    /// The bindings with each secret's marker as its value. A rule binding on a
    /// recording made with this project's pseudonym key is bound by the
    /// pseudonym of $NAME's value (read now to find it, never written), so a
    /// rule covering several recorded values binds the right one.
    static func markerBindings(_ bindings: [SecretBinding], _ secrets: [K6Exporter.Secret], for recording: Recording, rules: RedactionRules) throws -> [SecretBinding] {
        let pseudonymizer = recording.redaction?.pseudonymKeyID == nil ? Pseudonymizer() : rules.pseudonymizer
        let keyMatches = recording.redaction?.pseudonymKeyID == pseudonymizer.keyID
        return try zip(bindings, secrets).map { binding, secret in
            guard case .rule = binding.target, keyMatches else { return SecretBinding(target: binding.target, value: secret.marker) }
            guard let value = ProcessInfo.processInfo.environment[secret.env] else {
                Terminal.error("\(binding.name): set $\(secret.env) while exporting too: its pseudonym says which recorded value it binds (it is not written) (or bind redacted:PSEUDONYM=env:\(secret.env))")
                throw CommandFailure(code: Exit.usage)
            }
            return SecretBinding(target: .pseudonym(pseudonymizer.pseudonym(for: value)), value: secret.marker)
        }
    }
}
