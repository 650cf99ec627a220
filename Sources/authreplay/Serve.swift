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

        Example:
          authreplay serve recordings/auth-required.json --port 0
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

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

    /// --sign-key/--sign-secret/--issuer and --tls-cert/--tls-key.
    @OptionGroup var signing: SigningOptions

    func validate() throws {
        guard Pacing(argument: pace) != nil else {
            throw ValidationError("--pace must be fast, recorded or a non-negative number, not \(pace)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard maxConnections > 0, idleTimeout > 0, headTimeout > 0 else {
            throw ValidationError("--max-connections, --idle-timeout and --head-timeout must be positive")
        }
    }

    func run() async throws {
        let verifier = try await jwt.verifier()
        let testKey = try await signing.signing()
        var named: [(name: String, recording: Recording)] = []
        for path in recordings { named.append((path, try RecordingFiles.load(path))) }
        // Live requests are redacted as the recordings were, so they need the same pseudonym key.
        var rules = try RedactionRulesFiles.load(rulesFile, key: .ifPresent)
        let keyIDs = Set(named.compactMap { $0.recording.redaction?.enabled == true ? $0.recording.redaction?.pseudonymKeyID ?? "" : nil })
        if keyIDs == [""] {
            // Every recording was made with the public default key (the shipped examples, recordings from before project keys).
            rules.pseudonymizer = Pseudonymizer()
        }
        for (name, recording) in named {
            if let warning = PseudonymKeyCheck.warning(recording: recording, name: name, rules: rules) { Terminal.info(warning) }
        }
        let configuration = MockStagingServer.Configuration(
            host: host, port: port, pacing: Pacing(argument: pace) ?? .fast, mismatchPolicy: mismatch,
            exactPayloads: exact, clock: clock, exhaustion: failWhenExhausted ? .fail : .repeatLast,
            verifier: verifier, redactionRules: rules, maxConnections: maxConnections,
            idleTimeout: idleTimeout, headTimeout: headTimeout, log: { Terminal.info($0) },
            signing: testKey, tls: signing.tls
        )
        let server: MockStagingServer
        do {
            server = try await MockStagingServer.start(named: named, configuration: configuration)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        // Unbuffered, so a script waiting for this line sees it at once.
        let stopSignals = await StopSignals.trap()
        FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))
        let signal = await stopSignals.next()
        Terminal.info("received \(signal), stopping")
        try await server.stop()
    }
}

extension MismatchPolicy: EnumerableFlag {}
extension ExchangeMatcher.Options.Clock: ExpressibleByArgument {}
