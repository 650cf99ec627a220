import TrafficModel

/// `import --jobs N` (N > 1): the capture run of `CaptureRun`, with the
/// decoding spread over N worker threads. The caller's thread reads packets
/// and reassembles TCP (the serial part, which bounds the speed-up); each
/// kept connection's steps go to one worker, which decodes, tracks auth,
/// redacts and encodes its sessions; a writer thread appends them in the
/// order their connections ended. The bytes written are those of one
/// thread (see `ParallelDecoding` for how).
enum ParallelCaptureRun {
    /// Steps the reader holds before handing them out, and their bytes.
    static let dispatchSteps = 512
    static let dispatchBytes = 1 << 20

    static func run(
        source: inout some PacketSource, processor: inout CaptureProcessor, writer: RecordingFileWriter,
        redactor: Redactor?, jobs: Int, fallbackStart: Timestamp,
        progress: (CaptureStatistics, PacketSourceStatistics?) -> Void
    ) throws(CaptureError) -> CaptureOutcome {
        let shared = ParallelDecoding(workers: jobs)
        processor.defersLinks = true
        let workers = (0..<jobs).map { w in JoinableThread { decode(worker: w, shared: shared, redactor: redactor) } }
        let writing = EncodedWriterThread(writer: writer, shared: shared, fallbackStart: fallbackStart)
        var reader = Reader(shared: shared)
        var inputError: CaptureError?
        var dispatchError: CaptureError?
        var steps: [DecodingStep] = []
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
                if processor.capturedAt == nil { writing.start(capturedAt: packet.timestamp) }
                processor.route(packet.data, at: packet.timestamp, into: &steps)
                try reader.hand(&steps)
                if processor.statistics.packets % 256 == 0 {
                    var sofar = processor.statistics
                    sofar.sessions = shared.written  // the workers' counts arrive at the end
                    progress(sofar, source.statistics())
                }
            }
            processor.finishRouting(truncated: inputError != nil, into: &steps)
            try reader.hand(&steps)
            try reader.flush()
        } catch {
            dispatchError = error
        }
        shared.finishInput(outputs: reader.outputs)
        for worker in workers { worker.join() }
        let written = try writing.join()
        if let dispatchError { throw dispatchError }
        processor.statistics.sessions += written.sessions
        processor.statistics.exchanges += written.exchanges
        processor.statistics.messages += written.messages
        processor.statistics.anomalies += written.anomalies
        try writer.commit(
            capturedAt: processor.capturedAt ?? fallbackStart,
            redaction: redactor?.summary(counts: written.counts) ?? RedactionSummary(enabled: false))
        progress(processor.statistics, source.statistics())
        return CaptureOutcome(statistics: processor.statistics, sourceStatistics: source.statistics(), inputError: inputError)
    }

    /// The reader's side: numbers steps, picks each new connection's worker,
    /// and hands steps out in rounds.
    private struct Reader {
        let shared: ParallelDecoding
        var pending: [[ParallelDecoding.Numbered]]
        var pendingBytes: [Int]
        var pendingSteps = 0
        var owners: [ConnectionID: Int] = [:]
        var position: UInt64 = 0
        var outputs = 0

        init(shared: ParallelDecoding) {
            self.shared = shared
            pending = Array(repeating: [], count: shared.workers)
            pendingBytes = Array(repeating: 0, count: shared.workers)
        }

        mutating func hand(_ steps: inout [DecodingStep]) throws(CaptureError) {
            for step in steps {
                let worker: Int
                var output: Int?
                switch step {
                case .start(let id, _):
                    worker = shared.leastLoaded(pending: pendingBytes)
                    owners[id] = worker
                case .data(let id, _, _, _), .gap(let id, _, _, _):
                    worker = owners[id]!
                case .finish(let id, _):
                    worker = owners.removeValue(forKey: id)!
                    output = outputs
                    outputs += 1
                }
                pending[worker].append(ParallelDecoding.Numbered(position: position, step: step, output: output))
                pendingBytes[worker] += step.payloadBytes
                position += 1
                pendingSteps += 1
            }
            steps.removeAll(keepingCapacity: true)  // also lets go of the packets' bytes
            if pendingSteps >= ParallelCaptureRun.dispatchSteps || pendingBytes.reduce(0, +) >= ParallelCaptureRun.dispatchBytes {
                try flush()
            }
        }

        mutating func flush() throws(CaptureError) {
            pendingSteps = 0
            try shared.dispatch(&pending, bytes: &pendingBytes)
        }
    }

    /// A worker: applies its connections' steps; each finished session is
    /// linked, redacted, encoded and posted for the writer.
    private static func decode(worker w: Int, shared: ParallelDecoding, redactor: Redactor?) {
        var decoding = SessionDecoding()
        var noSharedTracker: AuthTracker?
        var issued: [LinkLog.Issued] = []
        while let batch = shared.take(worker: w) {
            for item in batch {
                let finished = decoding.apply(item.step, position: item.position, shared: &noSharedTracker, issued: &issued)
                guard let output = item.output else { continue }
                guard var finished else {  // not reached: routing finishes only connections it started
                    shared.post(ParallelDecoding.Encoded(bytes: [], counts: [:], exchanges: 0, messages: 0, anomalies: 0), output: output, worker: w, at: item.position, issued: &issued)
                    continue
                }
                if finished.links?.presented.isEmpty ?? true {
                    finished.complete(linking: nil)  // nothing to link: no need to wait for the others
                } else {
                    shared.link(&finished, worker: w, at: item.position, issued: &issued)
                }
                var counts: [String: Int] = [:]
                let captured = finished.session
                let session = redactor.map { $0.redact(session: captured, counts: &counts) } ?? captured
                let encoded = ParallelDecoding.Encoded(
                    bytes: RecordingStreamEncoder.encoded(session, capacity: SessionHandoff.approximateBytes(session) * 3 / 2), counts: counts, exchanges: captured.exchanges.count,
                    messages: captured.websocket?.messages.count ?? 0, anomalies: captured.anomalies.count)
                shared.post(encoded, output: output, worker: w, at: item.position, issued: &issued)
            }
            shared.batchDone(worker: w, issued: &issued)
        }
    }
}
