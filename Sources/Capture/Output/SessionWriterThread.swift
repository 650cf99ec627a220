import TrafficModel

/// The writing half of a capture run: takes sessions from the handoff,
/// redacts them and appends them to the writer until the handoff closes.
/// The writer belongs to this thread until `join` returns.
final class SessionWriterThread: @unchecked Sendable {  // `result` is read only after the thread is joined
    private var thread: JoinableThread?
    private var result: Result<[String: Int], CaptureError> = .success([:])

    init(writer: RecordingFileWriter, redactor: Redactor?, handoff: SessionHandoff) {
        let handedOver = Transfer(writer)
        thread = JoinableThread { [self] in
            result = Self.run(writer: handedOver.value, redactor: redactor, handoff: handoff)
        }
    }

    private static func run(writer: RecordingFileWriter, redactor: Redactor?, handoff: SessionHandoff) -> Result<[String: Int], CaptureError> {
        var counts: [String: Int] = [:]
        while let batch = handoff.take() {
            let sessions = redactor.map { r in batch.sessions.map { r.redact(session: $0, counts: &counts) } } ?? batch.sessions
            do {
                try writer.write(sessions, capturedAt: batch.capturedAt)
            } catch {
                handoff.fail(error)
                return .failure(error)
            }
        }
        return .success(counts)
    }

    /// Waits for the thread to drain the handoff; the redaction counts, or its write error.
    func join() throws(CaptureError) -> [String: Int] {
        thread?.join()
        thread = nil
        return try result.get()
    }
}
