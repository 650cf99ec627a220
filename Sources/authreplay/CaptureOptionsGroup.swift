import ArgumentParser
import Capture
import Dispatch
import Foundation
import Synchronization
import TrafficModel

/// Options `import` and `capture` share.
struct CaptureOptionsGroup: ParsableArguments {
    @Option(name: .shortAndLong, help: "Where to write the recording (written atomically).")
    var output: String

    @Option(help: "A BPF filter (tcpdump syntax) applied before decoding.")
    var filter: String?

    @Option(name: .customLong("port"), help: "Keep TCP traffic on this port, whatever it speaks (repeatable). Without it, every connection that speaks HTTP/1.x is kept.")
    var ports: [UInt16] = []

    @Option(name: .customLong("max-connection-buffer-mib"), help: "Out-of-order bytes buffered per connection before a hole is skipped, in MiB.")
    var maxConnectionBufferMiB = 4

    @Option(name: .customLong("max-total-buffer-mib"), help: "Out-of-order bytes buffered across all connections, in MiB.")
    var maxTotalBufferMiB = 64

    @Option(help: "Seconds of packet time after which an idle connection is ended.")
    var idleTimeout = 120.0

    @OptionGroup var decapsulation: DecapsulationOptions
    @Option(name: .customLong("keylog"), help: ArgumentHelp("An NSS key log (SSLKEYLOGFILE) whose secrets decrypt TLS connections (repeatable). With it, every TLS connection is kept: decoded like plaintext where the log has its keys, else as an opaque TLS session with an anomaly.", valueName: "file"))
    var keyLogs: [String] = []

    @OptionGroup var jwt: JWTVerificationOptions

    @OptionGroup var redaction: RedactionOptions

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        guard maxConnectionBufferMiB > 0, maxTotalBufferMiB > 0 else { throw ValidationError("buffer sizes must be positive") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
        try decapsulation.validate()
        for path in keyLogs where !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("--keylog \(path): no such readable file")
        }
    }

    /// `--port` folded into the BPF filter, and the user's filter. BPF sees
    /// neither into tunnels, nor past VLAN tags, nor the ports of a non-first
    /// fragment, so the fold keeps, besides TCP on the ports: everything that
    /// is neither TCP nor UDP (GRE, IP-in-IP, ESP, VLAN-tagged and MPLS frames,
    /// IPv6 with extension headers), UDP on the tunnel ports, and non-first
    /// IPv4 fragments. The processor then keeps the ports on the inner flow.
    var effectiveFilter: String? {
        var terms = ports.map { "tcp port \($0)" }
        if !terms.isEmpty {
            terms.append("(not tcp and not udp)")
            terms += decapsulation.udpPorts.map { "udp port \($0)" }
            terms.append("(ip[6:2] & 0x1fff != 0)")
        }
        let portFilter = terms.joined(separator: " or ")
        switch (portFilter.isEmpty, filter) {
        case (true, let f): return f
        case (false, nil): return portFilter
        case (false, let f?): return "(\(portFilter)) and (\(f))"
        }
    }

    /// `live`: the key logs are read again when a client random is missing,
    /// since a live client is still writing them.
    /// `embeddedKeyLogs`: the key logs a pcapng capture carries in Decryption
    /// Secrets Blocks; like `--keylog`, they switch TLS decoding on.
    func captureOptions(verifier: (any JWTSignatureVerifier)?, live: Bool = false, embeddedKeyLogs: [String] = []) throws -> CaptureOptions {
        var options = CaptureOptions(
            ports: Set(ports),
            reassembly: TCPReassemblerLimits(
                maxBufferedBytesPerConnection: maxConnectionBufferMiB << 20, maxBufferedBytesTotal: maxTotalBufferMiB << 20,
                idleTimeout: idleTimeout
            ),
            verifier: verifier
        )
        decapsulation.apply(to: &options)
        // Cookie names from the rules file decide which cookies are credentials in the findings.
        options.locator = try RedactionRulesFiles.load(redaction.rulesFile).credentialLocator
        if !keyLogs.isEmpty || !embeddedKeyLogs.isEmpty {
            let files = try KeyLogFiles(paths: keyLogs, embedded: embeddedKeyLogs, rereads: live)
            if !embeddedKeyLogs.isEmpty { Terminal.info("TLS secrets: \(embeddedKeyLogs.count) decryption secrets block\(embeddedKeyLogs.count == 1 ? "" : "s") in the capture") }
            for warning in files.warnings { Terminal.info("warning: \(warning)") }
            options.tlsSecrets = files
        }
        return options
    }
}

/// Runs the capture loop with progress on a terminal, a summary at the end,
/// and SIGINT/SIGTERM stopping it cleanly (everything so far is written).
enum CaptureDriver {
    static func run<S: PacketSource>(
        source: S, sourceKind: Source.Kind, options: CaptureOptionsGroup, verifier: (any JWTSignatureVerifier)?,
        embeddedKeyLogs: [String] = [], jobs: Int = 1, stop: @escaping @Sendable () -> Void
    ) async throws {
        let writer: RecordingFileWriter
        do {
            // An import can be run again from its file; a live capture is the only copy.
            writer = try RecordingFileWriter(
                path: options.output, source: Source(kind: sourceKind, name: source.name, tool: "authreplay \(AuthReplay.version)"),
                syncsToDisk: sourceKind != .pcapFile)
        } catch {
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        let signals = await StopSignals.trap().onEach(stop)
        defer { signals.cancel() }
        let redactor = try options.redaction.redactor()
        let processor = CaptureProcessor(
            linkType: source.linkType, options: try options.captureOptions(verifier: verifier, live: sourceKind == .live, embeddedKeyLogs: embeddedKeyLogs))
        let progress = ProgressLine()
        let outcome: CaptureOutcome
        do {
            // The loop blocks; on a thread of its own it leaves the concurrency
            // pool (2 threads on 2 cores) free for the signal watch, even under load.
            let run = CaptureLoop(source: source, processor: processor, writer: writer, redactor: redactor, jobs: jobs, progress: progress)
            outcome = try await run.onOwnThread()
        } catch {
            progress.finish()
            Terminal.error("\(error)")
            throw CommandFailure(code: Exit.failure)
        }
        progress.finish()
        if options.json {
            print(JSONWriter.pretty(CaptureSummary.json(outcome, output: options.output)), terminator: "")
        } else {
            print(CaptureSummary.text(outcome, output: options.output))
        }
        if let error = outcome.inputError {
            Terminal.error("\(error); the recording holds every session before that point")
            throw CommandFailure(code: Exit.incomplete)
        }
    }
}

/// The capture loop handed to a thread of its own; its state moves there
/// whole and is touched by that thread only.
private final class CaptureLoop<S: PacketSource>: @unchecked Sendable {
    private var source: S
    private var processor: CaptureProcessor
    private let writer: RecordingFileWriter
    private let redactor: Redactor?
    private let jobs: Int
    private let progress: ProgressLine

    init(source: S, processor: CaptureProcessor, writer: RecordingFileWriter, redactor: Redactor?, jobs: Int, progress: ProgressLine) {
        self.source = source
        self.processor = processor
        self.writer = writer
        self.redactor = redactor
        self.jobs = jobs
        self.progress = progress
    }

    func onOwnThread() async throws -> CaptureOutcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CaptureOutcome, any Error>) in
            let thread = Thread { [self] in
                continuation.resume(with: Result {
                    try CaptureRun.run(
                        source: &source, processor: &processor, writer: writer, redactor: redactor, jobs: jobs,
                        fallbackStart: Timestamp(seconds: Date().timeIntervalSince1970),
                        progress: { [progress] in progress.update(CaptureSummary.progress($0, $1)) }
                    )
                })
            }
            thread.stackSize = 8 << 20  // JSON values nest, as on the main thread
            thread.start()
        }
    }
}

/// A source that ends when asked (a signal, `--max-packets`).
struct StoppableSource<Base: PacketSource>: PacketSource {
    var base: Base
    let stopped: StopFlag
    var remaining: Int?

    var linkType: LinkType { base.linkType }
    var name: String { base.name }

    mutating func next() throws(CaptureError) -> CapturedPacket? {
        if stopped.isSet {
            stopped.noteCutShort()
            return nil
        }
        if let r = remaining {
            guard r > 0 else { return nil }
            remaining = r - 1
        }
        return try base.next()
    }

    func statistics() -> PacketSourceStatistics? { base.statistics() }
}

final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let cut = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
    /// The source ended because of the stop, not because its input ended.
    var cutShort: Bool { cut.load(ordering: .relaxed) }
    func noteCutShort() { cut.store(true, ordering: .relaxed) }
}

/// Redaction, on by default wherever a recording is written from traffic.
struct RedactionOptions: ParsableArguments {
    @Flag(help: "Write secrets as captured (the recording says so in its redaction summary). Never commit such a file.")
    var noRedact = false

    @Option(name: .customLong("rules"), help: "A redaction rules file (default: ./\(RedactionRules.fileName) when it exists).")
    var rulesFile: String?

    @Option(name: .customLong("redact-claim"), help: "A JWT claim whose value is pseudonymized too (repeatable).")
    var claims: [String] = []

    /// nil when --no-redact was given (and says so loudly on stderr).
    func redactor() throws -> Redactor? {
        if noRedact {
            Terminal.info("warning: --no-redact: tokens, cookies and passwords are written as captured")
            return nil
        }
        return Redactor(rules: try RedactionRulesFiles.load(rulesFile, key: .create).addingClaims(claims))
    }
}
