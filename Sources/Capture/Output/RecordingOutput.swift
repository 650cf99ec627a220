public import Synchronization
public import TrafficModel

/// A recording written as its sessions finish, for sources that run until
/// they are stopped (the recording proxy): each session is redacted and
/// appended on a writer thread, so memory holds only open sessions and the
/// few waiting for the disk (`SessionHandoff`'s budget). `finish` publishes
/// the file atomically.
public final class RecordingOutput: Sendable {
    private let handoff = SessionHandoff()
    private let writing: SessionWriterThread
    private let writer: Transfer<RecordingFileWriter>
    private let redactor: Redactor?
    private let state = Mutex<(totals: RecordingSummary.Totals, failure: CaptureError?)>((RecordingSummary.Totals(), nil))

    /// `redactor`: secrets are replaced in each session before it reaches
    /// the disk; nil writes them as recorded and says so in the file.
    public init(writer: RecordingFileWriter, redactor: Redactor?) {
        self.writer = Transfer(writer)
        self.redactor = redactor
        self.writing = SessionWriterThread(writer: writer, redactor: redactor, handoff: handoff)
    }

    /// Queues a finished session (waits while the writer is a budget behind).
    /// After a write error, sessions are dropped and `finish` throws it.
    func put(_ session: Session, capturedAt: Timestamp) {
        state.withLock { $0.totals.add(session) }
        do {
            try handoff.put([session], capturedAt: capturedAt)
        } catch {
            state.withLock { if $0.failure == nil { $0.failure = error } }
        }
    }

    /// Sessions, exchanges, messages, errors and anomalies written so far.
    public var totals: RecordingSummary.Totals { state.withLock { $0.totals } }

    /// Waits for the writer, then publishes the file.
    public func finish(capturedAt: Timestamp) throws(CaptureError) {
        handoff.close()
        let counts = try writing.join()
        if let failure = state.withLock({ $0.failure }) { throw failure }
        try writer.value.commit(capturedAt: capturedAt, redaction: redactor?.summary(counts: counts) ?? RedactionSummary(enabled: false))
    }
}
