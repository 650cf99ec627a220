public import Wire
public import TrafficModel

/// Turns decoded TCP segments into ordered per-direction byte streams.
///
/// Pure: time is the packets' own timestamps. Memory is bounded by
/// `TCPReassemblerLimits` (buffered out-of-order bytes per connection and in
/// total, connections tracked). Missing bytes are reported as `.gap`, never
/// hidden. Modelled on gopacket's reassembly, much reduced.
public struct TCPReassembler: Sendable {
    public let limits: TCPReassemblerLimits
    private var connections: [ConnectionKey: TCPConnection] = [:]
    /// Connections in order of last activity, oldest first; an entry is live
    /// only while its stamp equals the connection's (older ones are skipped).
    private var activity: [(key: ConnectionKey, stamp: UInt64)] = []
    private var activityHead = 0
    private var nextStamp: UInt64 = 1
    private var nextID: UInt64 = 1
    /// Out-of-order bytes buffered across all connections (plus per-chunk overhead).
    public private(set) var bufferedBytes = 0

    public init(limits: TCPReassemblerLimits = .default) {
        self.limits = limits
    }

    /// Connections in the table, including recently closed ones kept to absorb late packets.
    public var trackedConnections: Int { connections.count }

    /// Buffered bytes of the connection on `key`'s 4-tuple (0 if none).
    public func bufferedBytes(for key: ConnectionKey) -> Int { connections[key]?.bufferedBytes ?? 0 }

    public mutating func process(_ segment: TCPSegment, at time: Timestamp) -> [TCPEvent] {
        var events: [TCPEvent] = []
        process(segment, at: time, into: &events)
        return events
    }

    /// Appends the segment's events to `events`: a caller that reuses one
    /// buffer for every packet allocates no array per packet.
    public mutating func process(_ segment: TCPSegment, at time: Timestamp, into events: inout [TCPEvent]) {
        let key = ConnectionKey(segment)
        let isSYN = segment.flags.contains(.syn) && !segment.flags.contains(.ack)
        if let index = connections.index(forKey: key) {
            if isSYN && connections.values[index].isReplaced(bySYN: segment) {
                let before = connections.values[index].bufferedBytes
                let last = connections.values[index].lastActivity
                connections.values[index].endQuietly(at: last, into: &events)
                bufferedBytes -= before
                connections.remove(at: index)
            } else {
                // One mutating call: reading fields through `values[index]`
                // would copy the whole connection out of the table.
                bufferedBytes += connections.values[index].accept(segment, at: time, limits: limits, into: &events)
                touch(key, index: index)
                enforceTotalCap(at: time, into: &events)
                return
            }
        }
        // A lone RST (or one for a connection already forgotten) opens nothing.
        if segment.flags.contains(.rst) { return }
        while connections.count >= limits.maxConnections {
            evictLeastRecentlyActive(at: time, into: &events)
        }
        open(segment, key: key, at: time, into: &events)
        enforceTotalCap(at: time, into: &events)
    }

    private mutating func open(
        _ segment: TCPSegment, key: ConnectionKey, at time: Timestamp, into events: inout [TCPEvent]
    ) {
        let syn = segment.flags.contains(.syn)
        let ack = segment.flags.contains(.ack)
        // SYN: its sender is the client. SYN-ACK: its receiver is. Otherwise a guess.
        let client = syn && ack ? segment.destination : segment.source
        let server = syn && ack ? segment.source : segment.destination
        let id = ConnectionID(rawValue: nextID)
        nextID += 1
        var connection = TCPConnection(
            id: id, client: client, clientISN: syn && !ack ? segment.sequence : nil, lastActivity: time)
        events.append(.opened(id, client: client.endpoint, server: server.endpoint, midstream: !syn, at: time))
        connection.process(segment, at: time, limits: limits, into: &events)
        bufferedBytes += connection.bufferedBytes
        connections[key] = connection
        touch(key, index: connections.index(forKey: key)!)
    }

    /// Ends connections whose last segment is older than the idle timeout at
    /// packet time `now`, and forgets closed ones. Cost: the connections ended
    /// plus stale queue entries, so it is cheap to call every few thousand packets.
    public mutating func flushIdle(now: Timestamp) -> [TCPEvent] {
        var events: [TCPEvent] = []
        let cutoff = now.adding(seconds: -limits.idleTimeout)
        while let (key, index) = oldestLive(), connections.values[index].lastActivity < cutoff {
            activityHead += 1
            remove(key, index: index, kind: nil, at: connections.values[index].lastActivity, into: &events)
        }
        compactActivity()
        return events
    }

    /// End of capture: every open connection ends (`.fin` if a FIN was seen, else `.cut`),
    /// after its holes are reported and its buffered bytes delivered, in order of opening.
    public mutating func finish() -> [TCPEvent] {
        var events: [TCPEvent] = []
        for var connection in connections.values.sorted(by: { $0.id < $1.id }) {
            connection.endQuietly(at: connection.lastActivity, into: &events)
        }
        connections.removeAll()
        activity.removeAll()
        activityHead = 0
        bufferedBytes = 0
        return events
    }
}

extension TCPReassembler {
    private mutating func touch(_ key: ConnectionKey, index: Dictionary<ConnectionKey, TCPConnection>.Index) {
        // A burst of segments on one connection: its entry is already the
        // newest in the queue, so the order holds without adding another.
        guard connections.values[index].stampActivity(nextStamp) else { return }
        activity.append((key, nextStamp))
        nextStamp += 1
        compactActivity()
    }

    /// The least recently active connection still in the table; drops stale queue entries.
    private mutating func oldestLive() -> (ConnectionKey, Dictionary<ConnectionKey, TCPConnection>.Index)? {
        while activityHead < activity.count {
            let entry = activity[activityHead]
            if let index = connections.index(forKey: entry.key), connections.values[index].stamp == entry.stamp {
                return (entry.key, index)
            }
            activityHead += 1
        }
        return nil
    }

    private mutating func evictLeastRecentlyActive(at time: Timestamp, into events: inout [TCPEvent]) {
        guard let (key, index) = oldestLive() else { return }
        activityHead += 1
        remove(key, index: index, kind: .limit, at: time, into: &events)
    }

    /// Removes a connection, ending it first if still open (`kind` nil: FIN or cut).
    private mutating func remove(
        _ key: ConnectionKey, index: Dictionary<ConnectionKey, TCPConnection>.Index, kind: TCPCloseKind?,
        at time: Timestamp, into events: inout [TCPEvent]
    ) {
        bufferedBytes -= connections.values[index].bufferedBytes
        if let kind {
            connections.values[index].end(kind, by: nil, at: time, into: &events)
        } else {
            connections.values[index].endQuietly(at: time, into: &events)
        }
        connections.remove(at: index)
    }

    /// Keeps the queue proportional to the table: amortised O(log n) per touch.
    private mutating func compactActivity() {
        if activityHead > 4096 && activityHead * 2 > activity.count {
            activity.removeFirst(activityHead)
            activityHead = 0
        }
        if activity.count - activityHead > 4 * connections.count + 4096 {
            activity = connections.map { (key: $0.key, stamp: $0.value.stamp) }.sorted { $0.stamp < $1.stamp }
            activityHead = 0
        }
    }

    /// Total cap: the connection holding the most buffered bytes skips all its
    /// holes. The scan is O(connections) but only runs while over the cap, and
    /// each pass frees at least the average connection's share.
    private mutating func enforceTotalCap(at time: Timestamp, into events: inout [TCPEvent]) {
        while bufferedBytes > limits.maxBufferedBytesTotal {
            var fullest: Dictionary<ConnectionKey, TCPConnection>.Index?
            var most = 0
            var index = connections.startIndex
            while index != connections.endIndex {
                let held = connections.values[index].bufferedBytes
                if held > most { most = held; fullest = index }
                index = connections.index(after: index)
            }
            guard let fullest else { bufferedBytes = 0; return }
            connections.values[fullest].flushBuffers(at: time, into: &events)
            bufferedBytes -= most - connections.values[fullest].bufferedBytes
        }
    }
}
