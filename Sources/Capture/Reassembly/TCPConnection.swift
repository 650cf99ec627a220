import Wire
import TrafficModel

/// Both directions of one tracked connection, and how it is ending.
struct TCPConnection {
    let id: ConnectionID
    let client: IPEndpoint
    /// The client's SYN sequence number, when its SYN was seen (port-reuse check).
    var clientISN: UInt32?
    var clientHalf = HalfStream()
    var serverHalf = HalfStream()
    var firstFin: Direction?
    var lastActivity: Timestamp
    /// Stamp of this connection's newest entry in the reassembler's activity queue.
    var stamp: UInt64 = 0
    /// Closed connections stay in the table until idle so that late ACKs and
    /// retransmitted FINs are ignored instead of opening a midstream connection.
    var isClosed = false

    var bufferedBytes: Int { clientHalf.bufferedBytes + serverHalf.bufferedBytes }

    func direction(of segment: TCPSegment) -> Direction {
        segment.source == client ? .client : .server
    }

    /// Whether a SYN on this 4-tuple starts a new connection (port reuse)
    /// rather than belonging to this one: a retransmitted SYN, a SYN that
    /// arrives after the SYN-ACK, or a stale SYN for bytes already seen.
    func isReplaced(bySYN segment: TCPSegment) -> Bool {
        guard segment.source == client else { return true }
        if clientISN == segment.sequence { return false }
        if clientISN == nil {
            if !clientHalf.started { return isClosed }
            if clientHalf.offset(of: segment.sequence &+ 1) == 0 { return false }
        }
        return true
    }

    /// Gives the connection `stamp`, the next activity stamp, unless it holds
    /// the one before (the newest given out): then its activity-queue entry
    /// is still the newest and needs no successor. Returns whether it was
    /// stamped. A mutating call, so the reassembler need not copy the
    /// connection out of its table to compare.
    mutating func stampActivity(_ stamp: UInt64) -> Bool {
        if self.stamp != 0 && self.stamp == stamp - 1 { return false }
        self.stamp = stamp
        return true
    }

    /// A segment for this connection, which may be closed already: then it
    /// only counts as activity (late ACKs, retransmitted FINs). Returns the
    /// change in buffered bytes.
    mutating func accept(
        _ segment: TCPSegment, at time: Timestamp, limits: TCPReassemblerLimits, into events: inout [TCPEvent]
    ) -> Int {
        guard !isClosed else {
            lastActivity = time
            return 0
        }
        let before = bufferedBytes
        process(segment, at: time, limits: limits, into: &events)
        return bufferedBytes - before
    }

    mutating func process(
        _ segment: TCPSegment, at time: Timestamp, limits: TCPReassemblerLimits, into events: inout [TCPEvent]
    ) {
        lastActivity = time
        let direction = direction(of: segment)
        if direction == .client && clientISN == nil && segment.flags.contains(.syn) && !clientHalf.started {
            clientISN = segment.sequence  // the SYN came after its SYN-ACK
        }
        // The sink appends straight to the caller's buffer: moved in here and
        // back out below, never copied.
        var sink = EventSink(id: id, direction: direction)
        swap(&sink.events, &events)
        withHalf(direction) { half in
            let syn = segment.flags.contains(.syn)
            if !half.started { half.start(at: syn ? segment.sequence &+ 1 : segment.sequence) }
            let start = half.offset(of: segment.sequence) + (syn ? 1 : 0)
            half.accept(start: start, bytes: segment.payload, missing: segment.missingBytes, time: time, into: &sink)
            if segment.flags.contains(.fin) {
                half.markFin(at: start + Int64(segment.payload.count + segment.missingBytes))
            }
        }
        if segment.flags.contains(.fin) && firstFin == nil { firstFin = direction }
        if segment.flags.contains(.rst) {
            swap(&sink.events, &events)
            end(.reset, by: direction, at: time, into: &events)
            return
        }
        // Per-connection cap: skip the first hole of the fuller direction until under it.
        while bufferedBytes > limits.maxBufferedBytesPerConnection {
            let fuller: Direction = clientHalf.bufferedBytes >= serverHalf.bufferedBytes ? .client : .server
            sink.direction = fuller
            withHalf(fuller) { $0.skipHole(at: time, into: &sink) }
        }
        swap(&sink.events, &events)
        if clientHalf.isFinished && serverHalf.isFinished {
            clientHalf.discard()
            serverHalf.discard()
            isClosed = true
            events.append(.closed(id, kind: .fin, by: firstFin, at: time))
        }
    }

    /// Ends the connection now: skipped holes are reported, buffered data delivered.
    mutating func end(_ kind: TCPCloseKind, by: Direction?, at time: Timestamp, into events: inout [TCPEvent]) {
        guard !isClosed else { return }
        for direction in Direction.allCases {
            var sink = EventSink(id: id, direction: direction)
            withHalf(direction) { $0.flushThroughFin(at: time, into: &sink) }
            events += sink.events
        }
        isClosed = true
        events.append(.closed(id, kind: kind, by: by, at: time))
    }

    /// Ends an idle or cut-off connection: FIN-closed if either side sent FIN.
    mutating func endQuietly(at time: Timestamp, into events: inout [TCPEvent]) {
        end(firstFin == nil ? .cut : .fin, by: firstFin, at: time, into: &events)
    }

    /// Skips every hole in both directions (the total buffer cap was hit).
    mutating func flushBuffers(at time: Timestamp, into events: inout [TCPEvent]) {
        for direction in Direction.allCases {
            var sink = EventSink(id: id, direction: direction)
            withHalf(direction) { $0.flush(at: time, into: &sink) }
            events += sink.events
        }
    }

    private mutating func withHalf(_ direction: Direction, _ body: (inout HalfStream) -> Void) {
        switch direction {
        case .client: body(&clientHalf)
        case .server: body(&serverHalf)
        }
    }
}
