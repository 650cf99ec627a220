import ArgumentParser
import Demo

/// `authreplay demo`: parses the options and runs the Demo library's tour.
/// Named DemoCommand because the library's module is called Demo.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
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
        let rules = try RedactionRulesFiles.load(nil, key: .create)
        let tour = DemoTour(outputDir: outputDir, timeout: timeout, tool: "authreplay \(AuthReplay.version)", rules: rules) { line, style in
            print(Terminal.style(line, style))
        }
        do {
            try await tour.run()
        } catch let failure as DemoTour.StepFailure {
            Terminal.error("step \(failure.step) did not behave as expected: \(failure.reason)")
            throw CommandFailure(code: Exit.failure)
        }
    }
}
