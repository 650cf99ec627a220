import Synchronization
import TrafficModel

/// The writing half of `import --jobs`: appends the sessions the workers
/// encoded, in output order, until the last one. The writer belongs to this
/// thread until `join` returns.
final class EncodedWriterThread: @unchecked Sendable {  // `result` is read only after the thread is joined
    struct Written {
        var sessions = 0
        var exchanges = 0
        var messages = 0
        var anomalies = 0
        /// Redaction counts, summed over the sessions.
        var counts: [String: Int] = [:]
    }

    private var thread: JoinableThread?
    private var result: Result<Written, CaptureError> = .success(Written())
    private let capturedAt: Mutex<Timestamp?> = Mutex(nil)

    init(writer: RecordingFileWriter, shared: ParallelDecoding, fallbackStart: Timestamp) {
        let handedOver = Transfer(writer)
        thread = JoinableThread { [self] in
            result = run(writer: handedOver.value, shared: shared, fallbackStart: fallbackStart)
        }
    }

    /// The capture's first packet time, the recording's `capturedAt`; set
    /// before the first step is handed out.
    func start(capturedAt time: Timestamp) {
        capturedAt.withLock { $0 = time }
    }

    private func run(writer: RecordingFileWriter, shared: ParallelDecoding, fallbackStart: Timestamp) -> Result<Written, CaptureError> {
        var written = Written()
        while let encoded = shared.nextEncoded() {
            guard !encoded.bytes.isEmpty else { continue }
            do {
                try writer.write(encoded: encoded.bytes, capturedAt: capturedAt.withLock { $0 } ?? fallbackStart)
            } catch {
                shared.fail(error)
                return .failure(error)
            }
            written.sessions += 1
            written.exchanges += encoded.exchanges
            written.messages += encoded.messages
            written.anomalies += encoded.anomalies
            written.counts.merge(encoded.counts, uniquingKeysWith: +)
        }
        return .success(written)
    }

    /// Waits for the last session to be written; the totals, or the write error.
    func join() throws(CaptureError) -> Written {
        thread?.join()
        thread = nil
        return try result.get()
    }
}
