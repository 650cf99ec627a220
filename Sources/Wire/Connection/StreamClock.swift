import TrafficModel

/// Maps byte offsets of one direction's stream to the time their packet
/// arrived, so a parsed message can be stamped with the moment it was
/// complete. Entries before the oldest offset still needed are dropped.
package struct StreamClock: Sendable {
    /// (first offset of a chunk, arrival time), ascending by offset.
    private var marks: [(offset: Int, at: Double)] = []
    private var head = 0
    private(set) var end = 0

    package mutating func append(count: Int, at: Double) {
        guard count > 0 else { return }
        marks.append((end, at))
        end += count
    }

    /// A gap advances the stream without data.
    package mutating func skip(count: Int, at: Double) {
        append(count: count, at: at)
    }

    /// When the byte just before `offset` arrived (offset is exclusive).
    package mutating func time(endingAt offset: Int) -> Double {
        let byte = max(0, offset - 1)
        guard head < marks.count else { return marks.last?.at ?? 0 }
        // Messages complete in order, so search forward from the head.
        var i = head
        while i + 1 < marks.count, marks[i + 1].offset <= byte { i += 1 }
        return marks[i].at
    }

    /// Forget marks wholly before `offset`.
    package mutating func release(before offset: Int) {
        while head + 1 < marks.count, marks[head + 1].offset <= offset { head += 1 }
        if head > 1024 {
            marks.removeFirst(head)
            head = 0
        }
    }

    package var lastTime: Double? { marks.last?.at }

    /// The offsets in `from..<to` where a later arrival ended, plus `to`:
    /// the boundaries of what came in together (a close-delimited body has
    /// no framing of its own to time it by).
    package func arrivals(from: Int, to: Int) -> [Int] {
        var ends: [Int] = []
        for mark in marks[head...] where mark.offset > from && mark.offset < to { ends.append(mark.offset) }
        if to > from { ends.append(to) }
        return ends
    }
}
