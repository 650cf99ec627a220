public import TrafficModel

/// How a capture run ended.
public struct CaptureOutcome: Sendable {
    public var statistics: CaptureStatistics
    /// Kernel counters of a live source.
    public var sourceStatistics: PacketSourceStatistics?
    /// Set when the input ended early (truncated or unreadable past some
    /// packet); every session before that point was still written.
    public var inputError: CaptureError?

    public var isComplete: Bool { inputError == nil }
}

/// The capture loop shared by `import` and `capture`: packets from a source,
/// through the processor, to the streaming writer. The caller passes the
/// fallback start time (an empty capture has no first packet) and a progress
/// callback it throttles itself.
///
/// Two threads: the caller's decodes packets into sessions; a writer thread
/// redacts, encodes and writes them, in the order they ended (see
/// `SessionHandoff`). The output is the same as one thread doing both.
public enum CaptureRun {
    /// `redactor`: secrets are replaced in each session before it reaches
    /// the disk; nil writes them as captured and says so in the recording.
    ///
    /// `jobs` above 1 decodes connections on that many threads
    /// (`ParallelCaptureRun`); the bytes written are the same.
    public static func run(
        source: inout some PacketSource, processor: inout CaptureProcessor, writer: RecordingFileWriter,
        redactor: Redactor?, jobs: Int = 1, fallbackStart: Timestamp,
        progress: (CaptureStatistics, PacketSourceStatistics?) -> Void = { _, _ in }
    ) throws(CaptureError) -> CaptureOutcome {
        if jobs > 1 {
            return try ParallelCaptureRun.run(
                source: &source, processor: &processor, writer: writer, redactor: redactor, jobs: jobs,
                fallbackStart: fallbackStart, progress: progress)
        }
        let handoff = SessionHandoff()
        let writing = SessionWriterThread(writer: writer, redactor: redactor, handoff: handoff)
        var inputError: CaptureError?
        var writeError: CaptureError?
        do throws(CaptureError) {
            while true {
                let packet: CapturedPacket
                do {
                    guard let next = try source.next() else { break }
                    packet = next
                } catch {
                    inputError = error
                    break
                }
                let sessions = processor.process(packet.data, at: packet.timestamp)
                if !sessions.isEmpty { try handoff.put(sessions, capturedAt: processor.capturedAt ?? fallbackStart) }
                if processor.statistics.packets % 256 == 0 { progress(processor.statistics, source.statistics()) }
            }
            let last = processor.finish(truncated: inputError != nil)
            if !last.isEmpty { try handoff.put(last, capturedAt: processor.capturedAt ?? fallbackStart) }
        } catch {
            writeError = error
        }
        handoff.close()
        let counts = try writing.join()
        if let writeError { throw writeError }
        try writer.commit(capturedAt: processor.capturedAt ?? fallbackStart, redaction: redactor?.summary(counts: counts) ?? RedactionSummary(enabled: false))
        progress(processor.statistics, source.statistics())
        return CaptureOutcome(statistics: processor.statistics, sourceStatistics: source.statistics(), inputError: inputError)
    }
}
