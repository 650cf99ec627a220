import TrafficModel

/// One direction of a connection: where the next in-order byte is, and the
/// out-of-order bytes waiting for a hole to fill.
///
/// Positions are `Int64` stream offsets (0 = first data byte); sequence numbers
/// are mapped to offsets relative to `next` with serial arithmetic
/// (RFC 1982), so a stream may wrap 2^32 any number of times.
///
/// Overlaps: bytes already delivered or already buffered win over bytes that
/// arrive later for the same offsets (first received wins, as in gopacket and
/// most IDS defaults). Retransmissions therefore cost nothing but a trim.
struct HalfStream {
    /// A buffered run: either captured bytes or, when `missing > 0`, bytes the
    /// capture cut off (snaplen) that will be reported as a gap in order.
    struct Chunk {
        var start: Int64
        var bytes: ArraySlice<UInt8>
        var missing: Int
        var time: Timestamp
        var length: Int { missing > 0 ? missing : bytes.count }
        var end: Int64 { start + Int64(length) }
    }

    /// Bookkeeping cost charged per buffered chunk on top of its bytes, so that
    /// many tiny segments cannot hold far more memory than the cap says.
    static let chunkOverhead = 64

    private(set) var started = false
    /// Sequence number of the byte at offset 0.
    private var base: UInt32 = 0
    /// Offset of the next byte to deliver.
    private(set) var next: Int64 = 0
    /// Offset of the FIN, once seen.
    private(set) var finOffset: Int64?
    /// Sorted, disjoint; live from `head` on, so releasing from the front is O(1).
    /// Insertion is a binary search plus an array insert: O(1) amortised for the
    /// usual case (segments after a hole arrive in order, so they append).
    private var chunks: [Chunk] = []
    private var head = 0
    private(set) var bufferedBytes = 0

    var isFinished: Bool { finOffset.map { next >= $0 } ?? false }
    var hasBuffered: Bool { head < chunks.count }

    mutating func start(at sequence: UInt32) {
        base = sequence
        next = 0
        started = true
    }

    func offset(of sequence: UInt32) -> Int64 {
        let nextSequence = base &+ UInt32(truncatingIfNeeded: next)
        return next + Int64(Int32(bitPattern: sequence &- nextSequence))
    }

    mutating func markFin(at offset: Int64) {
        if finOffset == nil { finOffset = offset }
    }

    /// Takes a segment's bytes at `start`; delivers what is now in order.
    mutating func accept(
        start: Int64, bytes: ArraySlice<UInt8>, missing: Int, time: Timestamp, into sink: inout EventSink
    ) {
        var start = start, bytes = bytes, missing = missing
        if start < next {  // retransmitted or pre-ISN bytes
            let cut = next - start
            guard cut < Int64(bytes.count + missing) else { return }
            if cut <= Int64(bytes.count) {
                bytes = bytes.dropFirst(Int(cut))
            } else {
                missing -= Int(cut) - bytes.count
                bytes = bytes[bytes.endIndex...]
            }
            start = next
        }
        if bytes.isEmpty && missing == 0 { return }
        if start == next && !hasBuffered {  // the common case: no copy, no buffering
            deliver(Chunk(start: start, bytes: bytes, missing: 0, time: time), at: time, into: &sink)
            if missing > 0 {
                deliver(Chunk(start: next, bytes: [], missing: missing, time: time), at: time, into: &sink)
            }
            return
        }
        if !bytes.isEmpty { insert(Chunk(start: start, bytes: bytes, missing: 0, time: time)) }
        if missing > 0 {
            insert(Chunk(start: start + Int64(bytes.count), bytes: [], missing: missing, time: time))
        }
        release(at: time, into: &sink)
    }

    /// Buffers the parts of `chunk` not already covered by buffered chunks.
    private mutating func insert(_ chunk: Chunk) {
        // First buffered chunk ending after our start (chunks are sorted, disjoint).
        var low = head, high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            if chunks[mid].end <= chunk.start { low = mid + 1 } else { high = mid }
        }
        var index = low
        var cursor = chunk.start
        let end = chunk.end
        while cursor < end {
            if index < chunks.count && chunks[index].start <= cursor {
                cursor = max(cursor, chunks[index].end)
                index += 1
                continue
            }
            let pieceEnd = index < chunks.count ? min(end, chunks[index].start) : end
            var piece = chunk
            piece.start = cursor
            if chunk.missing > 0 {
                piece.missing = Int(pieceEnd - cursor)
            } else {
                let from = chunk.bytes.startIndex + Int(cursor - chunk.start)
                piece.bytes = chunk.bytes[from..<(from + Int(pieceEnd - cursor))]
            }
            chunks.insert(piece, at: index)
            bufferedBytes += piece.bytes.count + HalfStream.chunkOverhead
            index += 1
            cursor = pieceEnd
        }
    }

    /// Delivers buffered chunks that are now in order. `time` nil: each chunk's own arrival time.
    private mutating func release(at time: Timestamp?, into sink: inout EventSink) {
        while head < chunks.count && chunks[head].start <= next {
            var chunk = chunks[head]
            chunks[head].bytes = []  // let go of the payload now, not at compaction
            bufferedBytes -= chunk.bytes.count + HalfStream.chunkOverhead
            head += 1
            if chunk.end <= next { continue }
            let cut = Int(next - chunk.start)  // only after a skip; defensive
            if chunk.missing > 0 { chunk.missing -= cut } else { chunk.bytes = chunk.bytes.dropFirst(cut) }
            chunk.start = next
            deliver(chunk, at: time ?? chunk.time, into: &sink)
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: chunks.count < 1024)
            head = 0
        } else if head > 1024 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }

    private mutating func deliver(_ chunk: Chunk, at time: Timestamp, into sink: inout EventSink) {
        if chunk.missing > 0 {
            sink.gap(chunk.missing, at: time)
        } else if !chunk.bytes.isEmpty {
            sink.data(chunk.bytes, at: time)
        }
        next += Int64(chunk.length)
    }

    /// Gives up on the first hole: reports it as a gap, then delivers what follows it.
    mutating func skipHole(at time: Timestamp, into sink: inout EventSink) {
        guard hasBuffered else { return }
        let first = chunks[head]
        if first.start > next {
            sink.gap(Int(first.start - next), at: time)
            next = first.start
        }
        release(at: nil, into: &sink)
    }

    /// Skips every hole: used when the connection ends.
    mutating func flush(at time: Timestamp, into sink: inout EventSink) {
        while hasBuffered { skipHole(at: time, into: &sink) }
    }

    /// Flushes, then reports bytes lost between the last delivered one and a FIN seen after them.
    mutating func flushThroughFin(at time: Timestamp, into sink: inout EventSink) {
        flush(at: time, into: &sink)
        // Bytes lost between the last delivered one and a FIN seen after them.
        if let finOffset, finOffset > next {
            sink.gap(Int(finOffset - next), at: time)
            next = finOffset
        }
    }

    /// Drops buffered bytes without reporting them (data after a FIN).
    mutating func discard() {
        chunks.removeAll()
        head = 0
        bufferedBytes = 0
    }
}

/// Collects one direction's output as `TCPEvent`s.
struct EventSink {
    var events: [TCPEvent] = []
    var id = ConnectionID(rawValue: 0)
    var direction = Direction.client

    mutating func data(_ bytes: ArraySlice<UInt8>, at time: Timestamp) {
        events.append(.data(id, direction, bytes: bytes, at: time))
    }

    mutating func gap(_ count: Int, at time: Timestamp) {
        events.append(.gap(id, direction, bytes: count, at: time))
    }
}
