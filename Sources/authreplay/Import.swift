import ArgumentParser
import Capture
import TrafficModel

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a pcap or pcapng file into a recording.",
        discussion: """
        The format is detected from the content. Every TCP connection that speaks \
        HTTP/1.x is kept (with --port: every connection on those ports).

        Exit codes: 0 written, 1 the capture could not be read (nothing written), \
        2 usage error, 3 the capture was truncated or damaged, or the import was \
        interrupted (SIGINT/SIGTERM): every session before that point was written \
        and the open ones are marked "truncated".

        Example:
          authreplay import staging.pcap --output recordings/staging.json --port 8000
        """
    )

    @Argument(help: "A pcap or pcapng file.")
    var capture: String

    @OptionGroup var options: CaptureOptionsGroup

    func run() async throws {
        // The key first: a bad --jwt-key is a usage error, whatever the capture.
        let verifier = try await options.jwt.verifier()
        let file: PcapFileSource
        do {
            file = try PcapFileSource(path: capture, filter: options.effectiveFilter)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let stop = StopFlag()
        try CaptureDriver.run(source: StoppableSource(base: file, stopped: stop), sourceKind: .pcapFile, options: options, verifier: verifier, stop: { stop.set() })
        if stop.cutShort {
            // Unlike a live capture, an import has a natural end: stopping before it is incomplete.
            Terminal.error("\(capture): import interrupted by a signal; the recording holds every session read before it")
            throw CommandFailure(code: Exit.incomplete)
        }
    }
}
