public import ArgumentParser
public import UnixSignals
public import ExampleStagingService
public import Foundation

/// Runs the example staging service until SIGINT or SIGTERM.
@main
struct StagingServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staging-service",
        abstract: "The example staging service: login, a profile endpoint and an agent WebSocket with JWT auth.",
        discussion: """
        The first line on stdout is `listening on http://HOST:PORT`; one line per request \
        or WebSocket session goes to stderr. SIGINT or SIGTERM stops the service. \
        See Examples/StagingService/README.md.
        """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8000

    @Option(help: "A WebSocket handshake without a valid token: http-401 (refuse the upgrade) or error-frame (accept, send AUTH_REQUIRED, close 1008; the default).")
    var authFailure: StagingService.AuthFailure = .errorFrame

    @Option(help: "Switch on a deliberate bug: user-context (valid tokens fail on the WebSocket too).")
    var regression: StagingService.Regression?

    @Option(help: "The HS256 secret (at least 32 bytes).")
    var secret = StagingService.Configuration.defaultSecret

    @Option(help: "Lifetime of issued tokens, in seconds.")
    var tokenLifetime = 3600

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard secret.utf8.count >= 32 else { throw ValidationError("--secret must be at least 32 bytes") }
        guard tokenLifetime > 0 else { throw ValidationError("--token-lifetime must be positive") }
    }

    func run() async throws {
        let service = try await StagingService.start(configuration: .init(
            host: host, port: port, secret: secret, authFailure: authFailure, regression: regression,
            tokenLifetime: tokenLifetime, log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        ))
        // Trapped before the first line, so a signal right after it stops the service cleanly.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        // Unbuffered, so a script waiting for this line sees it at once.
        FileHandle.standardOutput.write(Data("listening on \(service.baseURL)\n".utf8))
        var signal = "the end of the signal stream"
        for await received in signals {
            signal = received.description
            break
        }
        FileHandle.standardError.write(Data("received \(signal), stopping\n".utf8))
        try await service.stop()
    }
}

extension StagingService.AuthFailure: ExpressibleByArgument {}
extension StagingService.Regression: ExpressibleByArgument {}
