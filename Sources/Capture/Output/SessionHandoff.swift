import TrafficModel

/// Finished sessions passed from the thread that decodes packets to the
/// thread that redacts, encodes and writes them, in order. Each half is a
/// large share of an import (about 60% and 40% of its CPU time), so on two
/// cores they overlap instead of taking turns.
///
/// Memory stays bounded: `put` blocks while the sessions waiting for the
/// writer hold more than `budget` bytes of payload (a batch larger than
/// the budget still goes through alone, so nothing deadlocks). A writer
/// failure is handed back to the decoding side, which stops reading.
final class SessionHandoff: @unchecked Sendable {  // every field is guarded by `lock`
    struct Batch {
        var sessions: [Session]
        var capturedAt: Timestamp
        var bytes: Int
    }

    /// Default budget of payload bytes waiting for the writer.
    static let defaultBudget = 32 << 20

    let budget: Int
    private let lock = ConditionLock()
    private var queue: [Batch] = []
    private var head = 0
    private var queuedBytes = 0
    private var closed = false
    private var failure: CaptureError?

    init(budget: Int = SessionHandoff.defaultBudget) {
        self.budget = budget
    }

    /// Queues sessions for the writer, waiting while the budget is spent.
    /// Throws the writer's error once it has failed.
    func put(_ sessions: [Session], capturedAt: Timestamp) throws(CaptureError) {
        let bytes = sessions.reduce(0) { $0 + Self.approximateBytes($1) }
        try lock.withLock { () throws(CaptureError) in
            while failure == nil, head < queue.count, queuedBytes + bytes > budget { lock.wait() }
            if let failure { throw failure }
            queue.append(Batch(sessions: sessions, capturedAt: capturedAt, bytes: bytes))
            queuedBytes += bytes
            lock.broadcast()
        }
    }

    /// No more sessions: the writer's `take` returns nil once the queue is empty.
    func close() {
        lock.withLock {
            closed = true
            lock.broadcast()
        }
    }

    /// The next batch, waiting for one; nil when closed and drained, or after `fail`.
    func take() -> Batch? {
        lock.withLock {
            while failure == nil, head == queue.count, !closed { lock.wait() }
            guard failure == nil, head < queue.count else { return nil }
            let batch = queue[head]
            queue[head].sessions = []  // the writer holds the only reference
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            queuedBytes -= batch.bytes
            lock.broadcast()
            return batch
        }
    }

    /// The writer failed: the decoding side's next `put` throws `error`.
    func fail(_ error: CaptureError) {
        lock.withLock {
            failure = error
            lock.broadcast()
        }
    }

    /// Payload bytes a session holds, plus a little per item for the rest:
    /// a budget measure, not an exact size.
    static func approximateBytes(_ session: Session) -> Int {
        var bytes = 512
        for exchange in session.exchanges {
            bytes += 256 + (exchange.request.body?.count ?? 0) + (exchange.response?.body?.count ?? 0)
        }
        for message in session.websocket?.messages ?? [] { bytes += 64 + message.payload.count }
        for anomaly in session.anomalies { bytes += 64 + (anomaly.data?.count ?? 0) }
        return bytes
    }
}
