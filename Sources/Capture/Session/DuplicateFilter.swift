public import TrafficModel

/// Drops exact copies of a TCP segment seen again within a short window.
///
/// Traffic mirroring often delivers every packet twice (both directions
/// mirrored at two points, or a SPAN session on both ports). The copies are
/// not retransmissions and must not be counted as such. A retransmission
/// proper comes after at least a retransmission timeout (200 ms minimum on
/// Linux), far outside the window.
///
/// A direct-mapped table of recent segments keeps the cost per packet to one
/// small hash and, only on a hit, one comparison of the payloads (which the
/// table shares, not copies). Bounded: `slots` entries.
public struct DuplicateFilter: Sendable {
    /// Seconds of packet time within which an identical segment is a copy (default 0.01; 0 disables).
    public let window: Double
    private var table: [Entry?]

    private struct Fingerprint: Hashable, Sendable {
        var source: IPEndpoint
        var destination: IPEndpoint
        var sequence: UInt32
        var acknowledgment: UInt32
        var flags: UInt8
        var window: UInt16
        var length: Int
    }

    private struct Entry: Sendable {
        var fingerprint: Fingerprint
        var time: Timestamp
        var payload: ArraySlice<UInt8>
    }

    public init(window: Double = 0.01, slots: Int = 1024) {
        self.window = window
        table = window > 0 ? Array(repeating: nil, count: max(1, slots)) : []
    }

    /// True when `segment` repeats one seen within the window (drop it);
    /// otherwise it is remembered and false is returned.
    public mutating func isDuplicate(_ segment: TCPSegment, at time: Timestamp) -> Bool {
        guard !table.isEmpty else { return false }
        let fingerprint = Fingerprint(
            source: segment.source, destination: segment.destination, sequence: segment.sequence,
            acknowledgment: segment.acknowledgment, flags: segment.flags.rawValue, window: segment.window,
            length: segment.payload.count)
        // A multiplicative mix of what differs between segments (not Hasher:
        // its per-process seed and SipHash cost more than the rest of the check).
        var mix = UInt64(segment.sequence) << 32 | UInt64(segment.acknowledgment)
        mix ^= UInt64(segment.source.port) << 48 | UInt64(segment.destination.port) << 32 | UInt64(segment.payload.count)
        mix = (mix ^ UInt64(segment.flags.rawValue)) &* 0x9E37_79B9_7F4A_7C15
        let slot = Int(mix >> 32) % table.count
        if let entry = table[slot], entry.fingerprint == fingerprint,
           time.microseconds - entry.time.microseconds <= Int64(window * 1_000_000),
           time >= entry.time, entry.payload.elementsEqual(segment.payload) {
            return true
        }
        table[slot] = Entry(fingerprint: fingerprint, time: time, payload: segment.payload)
        return false
    }
}
