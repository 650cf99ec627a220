public import ArgumentParser
public import Foundation
public import MockStaging
public import TrafficModel

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve recordings as a deterministic mock staging server (HTTP and WebSocket).",
        discussion: """
        Requests are matched to recorded exchanges by method, path, query, body and auth class; \
        WebSocket sessions are replayed as scripts (server messages sent, client messages awaited \
        and compared). Unmatched requests get a 404 naming the nearest recorded requests and what differed. \
        With --jwt-secret (HS*) and/or --jwt-key PEM (RS*/PS*/ES*/EdDSA), a JWT whose signature fails \
        gets the auth class invalid-signature.

        With --sign-key PEM (or --sign-secret ALG:SECRET), every JWT the mock hands out is \
        re-signed with that test key (kid set to its RFC 7638 thumbprint, iat/nbf/exp moved to \
        relate to now as recorded), the recorded discovery and JWKS documents publish its public \
        key (also at GET /__authreplay/jwks.json), and tokens naming it are judged by it: \
        tampered ones are invalid-signature, expired ones expired, another aud or iss unknown. \
        --issuer URL moves the discovery document and the tokens' iss to URL. \
        --tls-cert/--tls-key serve https and wss.

        The first line on stdout is `listening on http://HOST:PORT`; one line per request or \
        session goes to stderr. Admin endpoints: GET /__authreplay/health, GET /__authreplay/journal, \
        GET /__authreplay/jwks.json, POST /__authreplay/reset. SIGINT or SIGTERM stops the server.

        With --exec -- CMD ARGS…, a CI wrapper: the mock starts (on a free port unless --port), \
        CMD runs with AUTHREPLAY_URL (http://HOST:PORT) and AUTHREPLAY_WS_URL (ws://HOST:PORT) \
        in its environment, the mock stops when CMD exits, and a summary goes to stderr \
        (requests served, unmatched, WebSocket mismatches, recorded sessions used). Exit status: \
        CMD's when non-zero (128+N when a signal N ended it, 127 when it cannot be started); \
        else 1 when CMD sent no request at all, or when anything was unmatched (unless \
        --allow-unmatched); else 0. --junit FILE writes the mock's view: one testcase per \
        recorded session (used or skipped as unused), one per unmatched request.

        Example:
          authreplay serve recordings/auth-required.json --port 0
          authreplay serve recordings/*.json --junit mock.xml --exec -- npm test
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; default 8080, with --exec 0).")
    var port: Int?

    @Option(help: "fast (default), recorded (keep recorded gaps), or a factor scaling the recorded gaps.")
    var pace = "fast"

    @Flag(help: "On an unexpected client WebSocket message: close with 1008 (strict, the default) or log and continue (lenient).")
    var mismatch: MismatchPolicy = .strict

    @Option(help: "Judge JWT exp/nbf at the recording's time of use (recorded) or at wall-clock time (now).")
    var clock: ExchangeMatcher.Options.Clock = .recorded

    @Flag(help: "Answer unmatched when every recorded exchange for a request was served, instead of repeating the last.")
    var failWhenExhausted = false

    @Flag(help: "Compare client messages and request bodies byte for byte instead of as JSON.")
    var exact = false

    @Option(help: "Connections served at once; more are closed as they arrive.")
    var maxConnections = 1024

    @Option(help: "Seconds a connection may stay silent before it is closed.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a request head may take from its first byte to its last (slow clients are closed).")
    var headTimeout = 10.0

    @Option(name: .customLong("rules"), help: "The redaction rules file the recordings were redacted with (default: ./\(RedactionRules.fileName) when it exists).")
    var rulesFile: String?

    /// With --jwt-secret / --jwt-key, tokens with a bad signature get the auth class invalid-signature.
    @OptionGroup var jwt: JWTVerificationOptions

    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "A misbehaviour on cue, for client resilience tests (repeatable): close=CODE[,after=N] (1006: no close frame), delay=500ms, drop=server-message-N, fragment=BYTES, status=CODE; scoped by session=ID, exchange=N, path=/P. Each one is journaled.",
        valueName: "spec"))
    var faults: [String] = []
    /// `--exec -- CMD ARGS…`: everything after --exec (the `--` dropped) is the command.
    @Option(
        name: .customLong("exec"), parsing: .remaining,
        help: ArgumentHelp("-- CMD ARGS…: run CMD against the mock, then stop and exit with a verdict (a CI wrapper). Last on the line.", valueName: "command")
    )
    var execArguments: [String] = []

    @Flag(help: "With --exec: unmatched requests and WebSocket mismatches do not fail the run.")
    var allowUnmatched = false

    @Option(help: ArgumentHelp("With --exec: write the mock's view as JUnit XML (one testcase per recorded session).", valueName: "file"))
    var junit: String?

    var exec: Bool { !execArguments.isEmpty }
    var command: [String] { execArguments.first == "--" ? Array(execArguments.dropFirst()) : execArguments }
    /// --sign-key/--sign-secret/--issuer and --tls-cert/--tls-key.
    @OptionGroup var signing: SigningOptions

    func validate() throws {
        guard Pacing(argument: pace) != nil else {
            throw ValidationError("--pace must be fast, recorded or a non-negative number, not \(pace)")
        }
        guard (0...65535).contains(port ?? 0) else { throw ValidationError("--port must be 0…65535") }
        // `.remaining` gives [] for a bare --exec, as for none: look at the line itself.
        if command.isEmpty, CommandLine.arguments.contains("--exec") {
            throw ValidationError("--exec needs a command after --, e.g. --exec -- npm test")
        }
        if !exec, allowUnmatched || junit != nil {
            throw ValidationError("--allow-unmatched and --junit go with --exec -- CMD ARGS…")
        }
        guard maxConnections > 0, idleTimeout > 0, headTimeout > 0 else {
            throw ValidationError("--max-connections, --idle-timeout and --head-timeout must be positive")
        }
        for spec in faults {
            do { _ = try Fault(parsing: spec) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let verifier = try await jwt.verifier()
        let testKey = try await signing.signing()
        var named: [(name: String, recording: Recording)] = []
        for path in recordings { named.append((path, try RecordingFiles.load(path))) }
        let rules = try ServingRules.load(rulesFile, for: named)
        // Per-request lines off the event loops; flushed before anything else goes to stderr.
        let log = LineLog()
        var configuration = MockStagingServer.Configuration(
            host: host, port: port ?? (exec ? 0 : 8080), pacing: Pacing(argument: pace) ?? .fast, mismatchPolicy: mismatch,
            exactPayloads: exact, clock: clock, exhaustion: failWhenExhausted ? .fail : .repeatLast,
            verifier: verifier, redactionRules: rules, maxConnections: maxConnections,
            idleTimeout: idleTimeout, headTimeout: headTimeout, log: { log.write($0) },
            signing: testKey, tls: signing.tls
        )
        configuration.faults = FaultPlan(try faults.map { try Fault(parsing: $0) })
        let server: MockStagingServer
        do {
            server = try await MockStagingServer.start(named: named, configuration: configuration)
        } catch {
            log.flush()
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let stopSignals = await StopSignals.trap()
        if exec {
            try await runCommand(against: server, recordings: named, stopSignals: stopSignals, log: log)
            return
        }
        // Unbuffered, so a script waiting for this line sees it at once.
        FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))
        let signal = await stopSignals.next()
        log.write("received \(signal), stopping")
        try await server.stop()
        log.flush()
    }
}

extension MismatchPolicy: EnumerableFlag {}
extension ExchangeMatcher.Options.Clock: ExpressibleByArgument {}
