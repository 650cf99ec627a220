import ArgumentParser
import Fixtures
import Foundation
import Replay
import TrafficModel

struct Variants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a target's real answers to negative variants of every credential a recording presents.",
        discussion: """
        For each session's first use of each credential (Authorization, a token header, \
        Sec-WebSocket-Protocol, a cookie, a query token, a token inside a client WebSocket message), the session is replayed against the \
        target (with the sessions that issued its tokens first, tokens chained) once per \
        variant, the credential as sent changed to:

          expired, not-yet-valid     exp/nbf moved an hour past or ahead (signed with the key)
          wrong-aud, wrong-iss       aud/iss set to values no service expects (signed with the key)
          other-subject              sub set to a user no service knows (signed with the key)
          bad-signature              the signature's bits flipped
          alg-none                   an unsecured JWT (alg "none", no signature)
          malformed                  cut and garbled
          missing                    removed

        Signed variants need the key the target trusts (--resign-jwt ALG:SECRET or \
        --resign-jwt-key PEM); without one they are listed as skipped. What the target really \
        answered is written, redacted, as DIR/<session>-<variant>.json: regression fixtures to \
        `serve` to clients and `replay` against the next build. A table (variant, status, first \
        error_code, close code) is printed; --json prints it as JSON. Exit 0 when every variant \
        got an answer, 1 when any did not, 2 for usage errors.

        Example:
          authreplay variants recordings/login-and-websocket.json --target http://127.0.0.1:8000 \\
            --secret body:password=env:PW --resign-jwt HS256:env-secret --output-dir fixtures/
        """
    )

    @Argument(help: "The recording whose credentials to vary (authreplay/1 JSON).")
    var recording: String

    @Option(help: "The server to record answers from (http://HOST:PORT or https://HOST:PORT).")
    var target: String

    @Option(help: "Where to write one recording per session and variant (created if missing).")
    var outputDir: String

    @Option(name: .customLong("variant"), help: "Only these variants (repeatable; default: every one that applies).")
    var only: [String] = []

    @OptionGroup var signing: ResignKeyOptions

    @Option(help: "Seconds to wait for each step (connect, a response, a server message, the close).")
    var timeout = 5.0

    @Option(name: .customLong("secret"), help: ArgumentHelp("RULE=VALUE: a secret the redacted recording sends, bound for these runs only (as replay --secret).", valueName: "rule=value"))
    var secrets: [String] = []

    @Option(name: .customLong("secrets-file"), help: "A file of RULE=VALUE lines (like --secret).")
    var secretsFile: String?

    @Option(name: .customLong("rules"), help: "The redaction rules file (default: ./\(RedactionRules.fileName) when it exists); the fixtures are redacted with it.")
    var rulesFile: String?

    @Option(help: "A PEM file of CA certificates trusted for an https target, besides the system's.")
    var caFile: String?

    @Flag(help: "Print the table as JSON.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        for name in only where CredentialVariant(rawValue: name) == nil {
            throw ValidationError("--variant \(name): not one of \(CredentialVariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        do { _ = try ReplayTarget(url: target) } catch { throw ValidationError("\(error)") }
    }

    struct Row {
        var target: VariantTarget
        var variant: String
        var answer: VariantAnswer?
        var file: String?
        var note: String?
    }

    func run() async throws {
        let key = try await signing.key()
        // The same key checks signatures in the fixtures, so forged tokens are recorded as forged.
        let verifier: (any JWTSignatureVerifier)? = (key as? HMACSigningKey).map { HMACJWTVerifier(secret: $0.secret) } ?? key as? any JWTSignatureVerifier
        let original = try RecordingFiles.load(recording)
        let rules = try RedactionRulesFiles.load(rulesFile, key: .create)
        let bindings = try SecretOptions.bindings(secrets, file: secretsFile)
        let (bound, _) = try SecretOptions.bind(bindings, in: original, name: recording, rules: rules)
        let replayTarget = try ReplayTarget(url: target)
        var options = ReplayOptions(target: replayTarget, timeout: timeout)
        if replayTarget.tls {
            do { options.tls = try ReplayTLS(caFile: caFile, insecure: false) } catch {
                Terminal.error("\(error)")
                throw CommandFailure(code: Exit.usage)
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        } catch {
            Terminal.error("\(outputDir): cannot create the directory: \(error.localizedDescription)")
            throw CommandFailure(code: Exit.failure)
        }
        let targets = VariantTarget.all(in: bound, withKey: key != nil)
        guard !targets.isEmpty else {
            Terminal.error("\(recording): no session presents a credential, so there is nothing to vary")
            throw CommandFailure(code: Exit.failure)
        }
        let chosen = Set(only.compactMap(CredentialVariant.init(rawValue:)))
        let edit = CredentialEdit()
        let redactor = Redactor(rules: rules)
        let progress = ProgressLine()
        var rows: [Row] = []
        for t in targets {
            let plan: ReplayPlan
            do {
                plan = try ReplayPlan.build([ReplayPlan.Input(name: recording, recording: bound)], sessions: [t.session], target: replayTarget)
            } catch {
                Terminal.error("\(error)")
                throw CommandFailure(code: Exit.usage)
            }
            // The unchanged session first: what the variants are read against.
            var runs: [(String, CredentialVariant?)] = [("as recorded", nil)]
            runs += t.variants.filter { chosen.isEmpty || chosen.contains($0) }.map { ($0.rawValue, $0) }
            for (label, variant) in runs {
                progress.update("\(t.session) \(t.location): \(label)")
                var runOptions = options
                if let variant {
                    let (session, exchange, location) = (t.session, t.exchange, t.location)
                    let clock = options.clock
                    if let number = t.clientMessage {
                        runOptions.rewriteMessage = { name, index, message in
                            guard name == session, index == number else { return message }
                            return edit.apply(variant, at: location, to: message, key: key, now: clock()) ?? message
                        }
                    } else {
                        runOptions.rewrite = { name, index, request in
                            guard name == session, index == exchange else { return request }
                            return edit.apply(variant, at: location, to: request, key: key, now: clock()) ?? request
                        }
                    }
                }
                let report = await ReplayDriver().run(plan, options: runOptions, now: Timestamp.wallClock())
                guard let mine = report.results.first(where: { $0.session == t.session }), let observed = mine.observed,
                      observed.exchanges.indices.contains(t.exchange), observed.exchanges[t.exchange].response != nil
                else {
                    let reason = report.results.first { $0.session == t.session }?.differences.first ?? "no answer"
                    rows.append(Row(target: t, variant: label, answer: nil, note: reason))
                    continue
                }
                var row = Row(target: t, variant: label, answer: VariantAnswer(observed: observed, exchange: t.exchange))
                if let variant {
                    let sessions = report.results.compactMap { r in r.observed.map { ($0, r.observedAt ?? 0) } }
                    let made = ObservedRecording.make(sessions, name: "\(recording) \(t.session) \(variant) against \(target)", verifier: verifier)
                    let (redacted, _) = redactor.redact(made)
                    let file = (outputDir as NSString).appendingPathComponent("\(Self.fileName(t.session))-\(variant.rawValue)\(t.location == targets.first { $0.session == t.session }?.location ? "" : "-" + Self.fileName(t.location)).json")
                    try RedactionRulesFiles.writeAtomically(RecordingCodec.encodeBytes(redacted), to: file)
                    row.file = file
                }
                rows.append(row)
            }
            for variant in t.needingKey where chosen.isEmpty || chosen.contains(variant) {
                rows.append(Row(target: t, variant: variant.rawValue, answer: nil, note: "skipped: needs --resign-jwt or --resign-jwt-key"))
            }
        }
        progress.finish()
        print(json ? JSONWriter.pretty(Self.json(rows)) : Self.table(rows), terminator: json ? "" : "\n")
        let written = rows.filter { $0.file != nil }.count
        Terminal.info("\(written) fixture\(written == 1 ? "" : "s") written to \(outputDir)")
        if rows.contains(where: { $0.answer == nil && !($0.note?.hasPrefix("skipped") ?? false) }) { throw CommandFailure(code: Exit.failure) }
    }

    /// A session id or location as a file name part.
    static func fileName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    static func table(_ rows: [Row]) -> String {
        var lines: [[String]] = [["session", "credential", "variant", "status", "error_code", "close", "fixture"]]
        for r in rows {
            lines.append([
                r.target.session, r.target.location, r.variant,
                r.answer?.status.map(String.init) ?? "-", r.answer?.errorCode ?? "-", r.answer?.close.map(String.init) ?? "-",
                r.file ?? r.note ?? "",
            ])
        }
        let widths = (0..<7).map { c in lines.map { $0[c].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { c, cell in c == 6 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func json(_ rows: [Row]) -> JSONValue {
        .array(rows.map { r in
            var members: [(String, JSONValue)] = [
                ("session", .string(r.target.session)), ("credential", .string(r.target.location)), ("variant", .string(r.variant)),
                ("status", r.answer?.status.map { .int($0) } ?? .null),
                ("errorCode", r.answer?.errorCode.map(JSONValue.string) ?? .null),
                ("close", r.answer?.close.map { .int($0) } ?? .null),
            ]
            if let file = r.file { members.append(("fixture", .string(file))) }
            if let note = r.note { members.append(("note", .string(note))) }
            return .object(members)
        })
    }
}
