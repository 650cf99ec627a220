import TrafficModel

/// What the threads of `import --jobs N` share, behind one lock: a queue of
/// steps per decoding worker, how far each worker is, the credentials issued
/// so far, and the encoded sessions waiting for the writer.
///
/// Three rules keep the output byte-identical to one thread's:
/// - every step has a position (the reader numbers them in capture order)
///   and each connection's steps go to one worker, in order;
/// - a session is written in the order its connection ended (`output`
///   numbers the `finish` steps), whichever worker finished first;
/// - before a session's presented credentials are linked to issued ones,
///   its worker waits until every worker is past the session's last step
///   (`waitForEarlierSteps`), so every issue placed before it is known.
///   The worker that ends the earliest waiting session never waits for a
///   later one, so the waits cannot form a cycle.
///
/// Memory: the reader waits while the queued steps hold more than `budget`
/// payload bytes, and a worker waits while the finished sessions ahead of
/// the writer hold more than `budget` bytes (the next one to write always
/// goes through, so nothing deadlocks).
final class ParallelDecoding: @unchecked Sendable {  // every field is guarded by `lock`
    struct Numbered: Sendable {
        var position: UInt64
        var step: DecodingStep
        /// For a `finish` step: the session's place in the output.
        var output: Int?
    }

    /// A session redacted and encoded by a worker (empty `bytes`: nothing to write).
    struct Encoded: Sendable {
        var bytes: [UInt8]
        var counts: [String: Int]
        var exchanges: Int
        var messages: Int
        var anomalies: Int
    }

    /// Default budget of queued step bytes and of encoded sessions waiting
    /// (each; 32 MiB put the peak RSS of the 328 MB benchmark capture at
    /// 125-142 MB, near issue 19's 150 MB).
    static let defaultBudget = 16 << 20

    let workers: Int
    let budget: Int
    /// Conditions: the reader's, the writer's, workers waiting in `link`,
    /// workers waiting in `post`, then one per worker waiting for steps.
    private let lock: ConditionLock
    private static let reader = 0, writer = 1, linking = 2, posting = 3
    private func worker(_ w: Int) -> Int { 4 + w }
    private var queues: [[Numbered]]
    private var queuedBytes: [Int]
    private var totalQueued = 0
    /// Per worker, the position of its earliest step not yet done; nil when it has none.
    private var floors: [UInt64?]
    private var issued = IssuedCredentials()
    private var results: [Int: Encoded] = [:]
    private var resultBytes = 0
    private var nextOutput = 0
    /// Set by the reader when it has handed out every step.
    private var outputs: Int?
    private var failure: CaptureError?

    init(workers: Int, budget: Int = ParallelDecoding.defaultBudget) {
        self.workers = workers
        self.budget = budget
        lock = ConditionLock(conditions: 4 + workers)
        queues = Array(repeating: [], count: workers)
        queuedBytes = Array(repeating: 0, count: workers)
        floors = Array(repeating: nil, count: workers)
    }

    // MARK: the reader

    /// The worker a new connection goes to: the one with the least queued,
    /// counting `pending`, what the reader holds back for each.
    func leastLoaded(pending: [Int]) -> Int {
        lock.withLock {
            var best = 0
            for w in 1..<workers where queuedBytes[w] + pending[w] < queuedBytes[best] + pending[best] { best = w }
            return best
        }
    }

    /// Hands every worker its pending steps at once (so a worker waiting for
    /// earlier steps never waits for one the reader still holds), waiting
    /// while the queues are over budget. Throws the writer's error.
    func dispatch(_ pending: inout [[Numbered]], bytes: inout [Int]) throws(CaptureError) {
        let adding = bytes.reduce(0, +)
        try lock.withLock { () throws(CaptureError) in
            while failure == nil, totalQueued > 0, totalQueued + adding > budget { lock.wait(Self.reader) }
            if let failure { throw failure }
            for w in 0..<workers where !pending[w].isEmpty {
                if floors[w] == nil { floors[w] = pending[w][0].position }
                queues[w] += pending[w]
                queuedBytes[w] += bytes[w]
                pending[w].removeAll(keepingCapacity: true)
                bytes[w] = 0
                lock.broadcast(worker(w))
            }
            totalQueued += adding
        }
    }

    /// Every step is out; `count` sessions will be written.
    func finishInput(outputs count: Int) {
        lock.withLock {
            outputs = count
            for w in 0..<workers { lock.broadcast(worker(w)) }
            lock.broadcast(Self.writer)
        }
    }

    /// Sessions handed to the writer so far (for progress lines).
    var written: Int { lock.withLock { nextOutput } }

    // MARK: the workers

    /// The worker's queued steps, waiting for some; nil when the input is
    /// over and drained, or after a failure.
    func take(worker w: Int) -> [Numbered]? {
        lock.withLock {
            while failure == nil, queues[w].isEmpty, outputs == nil { lock.wait(worker(w)) }
            guard failure == nil, !queues[w].isEmpty else { return nil }
            var batch: [Numbered] = []
            swap(&batch, &queues[w])
            totalQueued -= queuedBytes[w]
            queuedBytes[w] = 0
            lock.broadcast(Self.reader)
            return batch
        }
    }

    /// The worker finished the batch it took; `issuedSoFar` are the issues it saw.
    func batchDone(worker w: Int, issued issuedSoFar: inout [LinkLog.Issued]) {
        lock.withLock {
            issued.add(issuedSoFar)
            issuedSoFar.removeAll(keepingCapacity: true)
            floors[w] = queues[w].first?.position
            lock.broadcast(Self.linking)
        }
    }

    /// Waits until every worker is done with the steps before `position`
    /// (this worker is: it is at `position`), then links the session's
    /// presented credentials. `issuedSoFar` are this worker's issues not yet shared.
    func link(_ finished: inout SessionDecoding.Finished, worker w: Int, at position: UInt64, issued issuedSoFar: inout [LinkLog.Issued]) {
        lock.withLock {
            issued.add(issuedSoFar)
            issuedSoFar.removeAll(keepingCapacity: true)
            floors[w] = position
            lock.broadcast(Self.linking)
            while failure == nil, floors.contains(where: { $0.map { $0 < position } ?? false }) { lock.wait(Self.linking) }
            finished.complete(linking: issued)
        }
    }

    /// A finished session for the writer, waiting while the ones ahead of
    /// the writer are over budget (unless this is the next one it needs).
    /// `position`: its `finish` step's; the worker is done with every step
    /// before it, and `issuedSoFar` are the issues it saw there, not yet shared
    /// (they must be before its floor moves past them).
    func post(_ encoded: Encoded, output: Int, worker w: Int, at position: UInt64, issued issuedSoFar: inout [LinkLog.Issued]) {
        lock.withLock {
            issued.add(issuedSoFar)
            issuedSoFar.removeAll(keepingCapacity: true)
            floors[w] = position
            lock.broadcast(Self.linking)
            while failure == nil, output != nextOutput, resultBytes > 0, resultBytes + encoded.bytes.count > budget { lock.wait(Self.posting) }
            guard failure == nil else { return }
            results[output] = encoded
            resultBytes += encoded.bytes.count
            if output == nextOutput { lock.broadcast(Self.writer) }
        }
    }

    // MARK: the writer

    /// The next session in output order, waiting for it; nil when all are written or after a failure.
    func nextEncoded() -> Encoded? {
        lock.withLock {
            while failure == nil, results[nextOutput] == nil, outputs.map({ nextOutput < $0 }) ?? true { lock.wait(Self.writer) }
            guard failure == nil, let encoded = results.removeValue(forKey: nextOutput) else { return nil }
            nextOutput += 1
            resultBytes -= encoded.bytes.count
            lock.broadcast(Self.posting)
            return encoded
        }
    }

    /// The writer failed: everyone stops; the reader's next `dispatch` throws `error`.
    func fail(_ error: CaptureError) {
        lock.withLock {
            failure = error
            for c in 0..<(4 + workers) { lock.broadcast(c) }
        }
    }
}
