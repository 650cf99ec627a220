import ArgumentParser
import Capture
import Dispatch
import TrafficModel

struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture live traffic with libpcap into a recording.",
        discussion: """
        Needs root (or CAP_NET_RAW). Stops on SIGINT/SIGTERM, --duration or \
        --max-packets; everything captured until then is written. A progress line \
        shows on a terminal; a summary (with kernel drops) is always printed.

        Example:
          sudo authreplay capture --interface lo --port 8000 --output recordings/local.json --duration 30
        """
    )

    @Option(name: .shortAndLong, help: "The interface to capture on (lo, eth0, any).")
    var interface: String

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var maxPackets: Int?

    @Option(help: "Bytes captured per packet.")
    var snaplen = LiveCaptureSource.defaultSnapshotLength

    @OptionGroup var options: CaptureOptionsGroup

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let maxPackets, maxPackets <= 0 { throw ValidationError("--max-packets must be positive") }
        guard snaplen >= 64 else { throw ValidationError("--snaplen must be at least 64") }
    }

    func run() async throws {
        let verifier = try await options.jwt.verifier()
        let live: LiveCaptureSource
        do {
            live = try LiveCaptureSource(interface: interface, filter: options.effectiveFilter, snapshotLength: snaplen)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        for warning in live.warnings { Terminal.info("warning: \(warning)") }
        if let duration {
            DispatchQueue.global().asyncAfter(deadline: .now() + duration) { live.stop() }
        }
        Terminal.info("capturing on \(interface)\(options.effectiveFilter.map { " (\($0))" } ?? ""); press Ctrl-C to stop")
        let stop = StopFlag()
        try await CaptureDriver.run(
            source: StoppableSource(base: live, stopped: stop, remaining: maxPackets), sourceKind: .live, options: options, verifier: verifier,
            stop: { stop.set(); live.stop() }
        )
    }
}
