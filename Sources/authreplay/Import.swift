import ArgumentParser
import Capture
import Foundation
import TrafficModel

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a pcap, pcapng or HAR file into a recording.",
        discussion: """
        The format is detected from the content: pcap and pcapng by their magic \
        number, HAR (browser DevTools, Charles, Insomnia, mitmproxy exports) by a \
        JSON document with a top-level "log" object. From a capture, every TCP \
        connection that speaks HTTP/1.x is kept (with --port: every connection on \
        those ports, on the inner flow); from a HAR, every entry. Gzip-compressed \
        captures are read as they are; traffic mirroring's tunnels (VXLAN, \
        Geneve, GRE and ERSPAN, IP-in-IP, Teredo, AYIYA, GTP-U, MPLS) are \
        decapsulated, IP fragments reassembled and mirrored duplicates dropped \
        (docs/capture-layers.md).

        Exit codes: 0 written, 1 the input could not be read (nothing written), \
        2 usage error, 3 incomplete: the capture was truncated or damaged, or the \
        import was interrupted (SIGINT/SIGTERM): every session before that point \
        was written and the open ones are marked "truncated"; for a HAR, some \
        entries lacked required fields: each is kept as an anomaly, the rest was written.

        Example:
          authreplay import staging.pcap --output recordings/staging.json --port 8000
          authreplay import devtools-export.har --output recordings/login.json
        """
    )

    @Argument(help: "A pcap, pcapng or HAR file.")
    var capture: String

    @OptionGroup var options: CaptureOptionsGroup

    @Option(name: .customLong("max-har-mib"), help: "The largest HAR file read, in MiB.")
    var maxHarMiB = 512

    @Option(help: ArgumentHelp(
        "Threads that decode connections (default: one per active processor, or 1 on up to 2). The output is byte-identical whatever the number; 1 decodes on the reading thread, as before.",
        valueName: "n"))
    var jobs = Import.defaultJobs

    func validate() throws {
        guard maxHarMiB > 0 else { throw ValidationError("--max-har-mib must be positive") }
        guard (1...Self.maxJobs).contains(jobs) else { throw ValidationError("--jobs must be 1 to \(Self.maxJobs)") }
    }

    /// More decoding threads than this only add memory: the read is the critical path long before.
    static let maxJobs = 256

    /// One worker per core; but on one or two cores `--jobs 1`, whose reading
    /// and writing threads already keep two cores busy: there the workers'
    /// coordination only added CPU time (measured: 15-25% more, no faster;
    /// docs/architecture.md).
    static var defaultJobs: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return cores <= 2 ? 1 : cores
    }

    func run() async throws {
        // The key first: a bad --jwt-key is a usage error, whatever the capture.
        let verifier = try await options.jwt.verifier()
        // read(upToCount:) throws on a directory where readData(ofLength:) traps;
        // anything unreadable falls through to the pcap reader's clear errors.
        if let handle = FileHandle(forReadingAtPath: capture),
           let prefix = try? { defer { try? handle.close() }; return try handle.read(upToCount: 64) }(),
           HARImporter.looksLikeHAR(prefix) {
            return try importHAR(verifier: verifier)
        }
        let file: PcapFileSource
        do {
            file = try PcapFileSource(path: capture, filter: options.effectiveFilter)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let stop = StopFlag()
        // Keys a pcapng capture carries itself (Decryption Secrets Blocks) decrypt TLS like --keylog.
        let embedded = PcapngDecryptionSecrets.tlsKeyLogs(inFile: capture)
        try await CaptureDriver.run(
            source: StoppableSource(base: file, stopped: stop), sourceKind: .pcapFile, options: options, verifier: verifier,
            embeddedKeyLogs: embedded, jobs: jobs, stop: { stop.set() })
        if stop.cutShort {
            // Unlike a live capture, an import has a natural end: stopping before it is incomplete.
            Terminal.error("\(capture): import interrupted by a signal; the recording holds every session read before it")
            throw CommandFailure(code: Exit.incomplete)
        }
    }

    private func importHAR(verifier: (any JWTSignatureVerifier)?) throws {
        let limits = HARImporter.Limits(maxFileBytes: maxHarMiB << 20)
        let size = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
        guard size <= limits.maxFileBytes else {
            Terminal.error("\(capture): \(size) bytes is over the \(maxHarMiB) MiB HAR limit (--max-har-mib)")
            throw CommandFailure(code: Exit.failure)
        }
        guard let data = FileManager.default.contents(atPath: capture) else {
            Terminal.error("\(capture): cannot read")
            throw CommandFailure(code: Exit.failure)
        }
        let importer = HARImporter(limits: limits, verifier: verifier, tool: "authreplay \(AuthReplay.version)")
        let result: HARImport
        do {
            result = try importer.importHAR(data, name: capture, fallbackStart: Timestamp(seconds: Date().timeIntervalSince1970))
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        if options.filter != nil || !options.ports.isEmpty {
            Terminal.info("note: --filter and --port apply to packet captures; every HAR entry is imported")
        }
        let redactor = try options.redaction.redactor()
        do {
            let writer = try RecordingFileWriter(path: options.output, source: result.recording.source, syncsToDisk: false)
            try result.write(to: writer, redactor: redactor)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let s = result.statistics
        let damaged = s.invalidEntries > 0 ? "\(s.invalidEntries) HAR entries lacked required fields; each is kept as an anomaly" : nil
        if options.json {
            print(JSONWriter.pretty(CaptureSummary.json(har: s, output: options.output, error: damaged)), terminator: "")
        } else {
            print(CaptureSummary.text(har: s, output: options.output))
        }
        if let damaged {
            Terminal.error("\(capture): \(damaged); the recording holds every other entry")
            throw CommandFailure(code: Exit.incomplete)
        }
    }
}

