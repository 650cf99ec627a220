import ArgumentParser
import Capture
import ConnectionGuards
import Foundation
import TrafficModel

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record traffic through a reverse proxy in front of (TLS) staging.",
        discussion: """
        Clients connect to the proxy (plain HTTP/WebSocket, or TLS with --tls-cert and \
        --tls-key); each client connection gets its own connection to the upstream (TLS \
        checked against the system trust store, plus --ca-file; --insecure turns the check \
        off). Requests are forwarded in order with Host rewritten; WebSocket frames are \
        forwarded as they arrive. permessage-deflate is not negotiated (the client's offer \
        is removed), so both sides speak uncompressed frames. An unreachable upstream is \
        answered with a 502 and recorded.

        The first line on stdout is `listening on http://HOST:PORT`; one line per exchange \
        and per session goes to stderr. SIGINT or SIGTERM writes the recording atomically \
        (connections still open are recorded as cut) and prints a summary.

        Example:
          authreplay record --upstream https://staging.example.com --listen 127.0.0.1:9000 --output recordings/staging.json
        """
    )

    @Option(help: "The upstream to forward to: http(s)://HOST[:PORT].")
    var upstream: String

    @Option(help: "HOST:PORT to listen on (port 0 picks a free one).")
    var listen = "127.0.0.1:9000"

    @Option(name: .shortAndLong, help: "Where to write the recording (written atomically).")
    var output: String

    @Option(help: "A PEM file of CA certificates trusted for the upstream, besides the system's.")
    var caFile: String?

    @Flag(help: "Do not verify the upstream's certificate (only when asked; never the default).")
    var insecure = false

    @Option(help: "A PEM certificate chain: speak TLS to clients (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Seconds allowed to connect to the upstream.")
    var connectTimeout = 10.0

    @Option(help: "Client connections served at once; more are closed as they arrive.")
    var maxConnections = 1024

    @Option(help: "Seconds a client connection may stay silent before it is closed.")
    var idleTimeout = 300.0

    @Option(help: "Seconds a request head may take from its first byte to its last (slow clients are closed).")
    var headTimeout = 10.0

    @Option(name: .customLong("max-recording-mib"), help: "Bytes the open sessions may hold in memory, in MiB (finished ones are written as they end); beyond it sessions are forwarded but record no more bytes.")
    var maxRecordingMiB = 256

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if case .failure(let error) = UpstreamTarget.parse(upstream) { throw ValidationError(error.description) }
        guard let address = Endpoint(parsing: listen) else { throw ValidationError("--listen must be HOST:PORT, not \(listen)") }
        _ = address
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard connectTimeout > 0, maxConnections > 0, idleTimeout > 0, headTimeout > 0, maxRecordingMiB > 0 else {
            throw ValidationError("--connect-timeout, --max-connections, --idle-timeout, --head-timeout and --max-recording-mib must be positive")
        }
    }

    @OptionGroup var jwt: JWTVerificationOptions

    @OptionGroup var redaction: RedactionOptions

    func run() async throws {
        guard case .success(let target) = UpstreamTarget.parse(upstream), let address = Endpoint(parsing: listen) else {
            throw CommandFailure(code: Exit.usage)
        }
        var configuration = RecordingProxy.Configuration(
            listenHost: address.host, listenPort: Int(address.port), upstream: target,
            upstreamTLS: .init(caFile: caFile, insecure: insecure),
            clientTLS: tlsCert.map { .init(certificateFile: $0, keyFile: tlsKey ?? "") },
            connectTimeout: connectTimeout, maxConnections: maxConnections, idleTimeout: idleTimeout, headTimeout: headTimeout,
            recordingBudget: maxRecordingMiB << 20, tool: "authreplay \(AuthReplay.version)", log: { Terminal.info($0) }
        )
        let redactor = try redaction.redactor()
        configuration.verifier = try await jwt.verifier()
        configuration.locator = try RedactionRulesFiles.load(redaction.rulesFile).credentialLocator
        let output: RecordingOutput
        let proxy: RecordingProxy
        do {
            let writer = try RecordingFileWriter(path: self.output, source: Source(kind: .proxy, name: target.description, tool: configuration.tool))
            output = RecordingOutput(writer: writer, redactor: redactor)
            proxy = try await RecordingProxy.start(configuration: configuration, output: output)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        if insecure { Terminal.info("warning: --insecure: the upstream's certificate is not verified") }
        let stopSignals = await StopSignals.trap()
        FileHandle.standardOutput.write(Data("listening on \(proxy.baseURL)\n".utf8))
        Terminal.info("recording \(target) into \(self.output); press Ctrl-C to stop")
        let signal = await stopSignals.next()
        Terminal.info("received \(signal), writing \(self.output)")
        let recording = try await proxy.stop()
        do {
            try output.finish(capturedAt: recording.capturedAt)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let totals = output.totals
        if json {
            print(JSONWriter.pretty(RecordSummary.json(totals, upstream: target.description, output: self.output)), terminator: "")
        } else {
            print(RecordSummary.text(totals, upstream: target.description, output: self.output))
        }
    }
}

/// The lines `record` prints at the end, like `import`'s.
enum RecordSummary {
    static func text(_ t: RecordingSummary.Totals, upstream: String, output: String) -> String {
        [
            "wrote \(output): \(t.sessions) sessions, \(t.exchanges) HTTP exchanges, \(t.messages) WebSocket messages, \(t.anomalies) anomalies",
            "proxied to \(upstream): \(t.errors) errors, \(t.upstreamErrors) upstream failures (502), \(t.cut) sessions cut by the stop",
        ].joined(separator: "\n")
    }

    static func json(_ t: RecordingSummary.Totals, upstream: String, output: String) -> JSONValue {
        .object([
            ("output", .string(output)), ("upstream", .string(upstream)),
            ("sessions", .int(t.sessions)), ("exchanges", .int(t.exchanges)), ("messages", .int(t.messages)),
            ("errors", .int(t.errors)), ("anomalies", .int(t.anomalies)), ("upstreamFailures", .int(t.upstreamErrors)),
        ])
    }
}
