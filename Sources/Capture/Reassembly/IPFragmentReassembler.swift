public import TrafficModel

/// Bounds for `IPFragmentReassembler`. Defaults follow Linux (`ipfrag_time`
/// 30 s, `ipfrag_high_thresh` 4 MiB) with more room, since a capture
/// reassembles for every host at once.
public struct IPFragmentLimits: Sendable, Equatable {
    /// Datagrams being reassembled at once; the oldest is dropped past it (default 4096).
    public var maxDatagrams: Int
    /// Fragment bytes buffered across all datagrams (default 16 MiB).
    public var maxBufferedBytes: Int
    /// Seconds of packet time from a datagram's first fragment to its last (default 30).
    public var timeout: Double

    public init(maxDatagrams: Int = 4096, maxBufferedBytes: Int = 16 << 20, timeout: Double = 30) {
        self.maxDatagrams = max(1, maxDatagrams)
        self.maxBufferedBytes = maxBufferedBytes
        self.timeout = timeout
    }

    public static let `default` = IPFragmentLimits()
}

/// A whole IP payload put back together from its fragments.
public struct IPDatagram: Sendable, Equatable {
    public var key: IPFragment.Key
    public var payload: [UInt8]
    public var ipVersion: Int
    /// The tunnels and layers of its first fragment.
    public var tunnels: TunnelPath
    public var layers: PacketLayers
}

/// Reassembles IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) fragments by
/// (source, destination, identification, protocol). Pure: time is packet time.
///
/// Overlapping fragments that agree are retransmissions and harmless; ones
/// that disagree, a second "last" fragment, or data past the end make the
/// datagram inconsistent (RFC 5722): it is dropped and reported, never guessed.
public struct IPFragmentReassembler: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Kept; more fragments are needed.
        case pending
        case complete(IPDatagram)
        /// The datagram was dropped; `reason` says why. `head` is the start of
        /// its payload when that fragment had arrived (up to 4 bytes: a TCP
        /// or UDP header's ports), so the loss can be told to its connection.
        case dropped(reason: String, head: [UInt8])
    }

    /// Datagrams dropped before completion, by cause, for the summary.
    public struct Counts: Sendable, Equatable {
        public var reassembled = 0
        public var inconsistent = 0
        public var timedOut = 0
        public var overLimit = 0
        public init() {}
    }

    private struct Pending: Sendable {
        var buffer: [UInt8] = []
        /// Received byte ranges, sorted and merged.
        var ranges: [Range<Int>] = []
        var total: Int?
        var first: Timestamp
        var ipVersion: Int
        var tunnels: TunnelPath
        var layers: PacketLayers
    }

    public let limits: IPFragmentLimits
    public private(set) var counts = Counts()
    private var pending: [IPFragment.Key: Pending] = [:]
    /// Keys in order of their first fragment (oldest first); stale entries are skipped.
    private var order: [(key: IPFragment.Key, first: Timestamp)] = []
    private var orderHead = 0
    public private(set) var bufferedBytes = 0

    public init(limits: IPFragmentLimits = .default) {
        self.limits = limits
    }

    /// Datagrams awaiting fragments.
    public var pendingDatagrams: Int { pending.count }

    public mutating func add(_ fragment: IPFragment, at time: Timestamp) -> Outcome {
        expire(now: time)
        let end = fragment.offset + fragment.payload.count
        // 65535 is the largest IPv4 total length and IPv6 payload length (no jumbograms in fragments).
        guard end <= 65535 else {
            return drop(fragment.key, "\(fragment.detail) ends past 65535 bytes", \.inconsistent, head: Self.head(of: fragment))
        }
        var entry = pending.removeValue(forKey: fragment.key) ?? {
            order.append((fragment.key, time))
            return Pending(first: time, ipVersion: fragment.ipVersion, tunnels: fragment.tunnels, layers: fragment.layers)
        }()
        bufferedBytes -= entry.buffer.count
        if let reason = Self.merge(fragment, into: &entry) {
            let head = entry.ranges.first.map { $0.lowerBound == 0 ? Array(entry.buffer.prefix(min(4, $0.upperBound))) : [] } ?? []
            return drop(fragment.key, reason, \.inconsistent, head: head.isEmpty ? Self.head(of: fragment) : head)
        }
        if let total = entry.total, entry.ranges == [0..<total] {
            counts.reassembled += 1
            return .complete(
                IPDatagram(
                    key: fragment.key, payload: Array(entry.buffer[0..<total]), ipVersion: entry.ipVersion,
                    tunnels: entry.tunnels, layers: entry.layers))
        }
        bufferedBytes += entry.buffer.count
        pending[fragment.key] = entry
        while bufferedBytes > limits.maxBufferedBytes || pending.count > limits.maxDatagrams {
            guard dropOldest(\.overLimit) else { break }
        }
        return pending[fragment.key] == nil ? .dropped(reason: "fragment limits reached", head: []) : .pending
    }

    /// Drops datagrams whose first fragment is older than the timeout.
    public mutating func expire(now: Timestamp) {
        while let (_, first) = oldest(), now.seconds - first.seconds > limits.timeout {
            _ = dropOldest(\.timedOut)
        }
    }

    /// The live datagram that started first, after skipping stale order entries.
    private mutating func oldest() -> (IPFragment.Key, Timestamp)? {
        while orderHead < order.count {
            let (key, first) = order[orderHead]
            // Live only while the table holds that datagram (a reused key starts a new entry).
            if let entry = pending[key], entry.first == first { return (key, first) }
            orderHead += 1
        }
        if orderHead > 0 {
            order.removeAll(keepingCapacity: true)
            orderHead = 0
        }
        return nil
    }

    /// Writes the fragment's bytes; a reason when the datagram is inconsistent.
    private static func merge(_ fragment: IPFragment, into entry: inout Pending) -> String? {
        let start = fragment.offset
        let end = start + fragment.payload.count
        if !fragment.moreFragments {
            if let total = entry.total, total != end { return "\(fragment.detail): a second last fragment ends elsewhere" }
            if let last = entry.ranges.last, last.upperBound > end { return "\(fragment.detail): data was seen past its end" }
            entry.total = end
        } else if let total = entry.total, end > total {
            return "\(fragment.detail) runs past the datagram's end at \(total)"
        }
        if entry.buffer.count < end { entry.buffer += repeatElement(0, count: end - entry.buffer.count) }
        for range in entry.ranges where range.overlaps(start..<end) {
            let overlap = max(range.lowerBound, start)..<min(range.upperBound, end)
            let base = fragment.payload.startIndex - start
            if !entry.buffer[overlap].elementsEqual(fragment.payload[(overlap.lowerBound + base)..<(overlap.upperBound + base)]) {
                return "\(fragment.detail) overlaps an earlier fragment with different bytes"
            }
        }
        entry.buffer.replaceSubrange(start..<end, with: fragment.payload)
        entry.ranges.append(start..<end)
        entry.ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in entry.ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        entry.ranges = merged
        return nil
    }

    private mutating func drop(
        _ key: IPFragment.Key, _ reason: String, _ count: WritableKeyPath<Counts, Int>, head: [UInt8]
    ) -> Outcome {
        if let entry = pending.removeValue(forKey: key) { bufferedBytes -= entry.buffer.count }
        counts[keyPath: count] += 1
        return .dropped(reason: reason, head: head)
    }

    private static func head(of fragment: IPFragment) -> [UInt8] {
        fragment.offset == 0 ? Array(fragment.payload.prefix(4)) : []
    }

    /// Drops the datagram that started first; false when none is left.
    private mutating func dropOldest(_ count: WritableKeyPath<Counts, Int>) -> Bool {
        guard let (key, _) = oldest(), let entry = pending.removeValue(forKey: key) else { return false }
        orderHead += 1
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        bufferedBytes -= entry.buffer.count
        counts[keyPath: count] += 1
        return true
    }
}
