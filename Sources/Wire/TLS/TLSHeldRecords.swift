/// The records of one direction that wait for keys, in order. A queue read
/// from the front without moving the rest (a direction can hold thousands of
/// small records), counting every byte it holds, record headers included, so
/// that the caller's limit also bounds a flood of empty records.
struct TLSHeldRecords: Sendable {
    private var records: [TLSRecord] = []
    private var start = 0
    /// Bytes held: each record's 5-byte header and fragment.
    private(set) var bytes = 0

    var first: TLSRecord? { start < records.count ? records[start] : nil }
    var isEmpty: Bool { start == records.count }

    mutating func append(_ record: TLSRecord) {
        records.append(record)
        bytes += 5 + record.fragment.count
    }

    mutating func removeFirst() {
        bytes -= 5 + records[start].fragment.count
        start += 1
        if start == records.count {
            records.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 1024, start * 2 >= records.count {
            records.removeFirst(start)  // amortised: at most as many moves as removals
            start = 0
        }
    }

    mutating func removeAll() {
        records = []
        start = 0
        bytes = 0
    }
}
