import TrafficModel

/// A TCP connection's 4-tuple, the same whichever direction a segment travels:
/// the endpoints are stored in sorted order, so a flow and its reverse are equal.
public struct ConnectionKey: Hashable, Sendable, CustomStringConvertible {
    /// The lower of the two endpoints.
    public let low: IPEndpoint
    /// The higher of the two endpoints.
    public let high: IPEndpoint

    public init(_ a: IPEndpoint, _ b: IPEndpoint) {
        if b < a { (low, high) = (b, a) } else { (low, high) = (a, b) }
    }

    public init(_ segment: TCPSegment) { self.init(segment.source, segment.destination) }

    public var description: String { "\(low) <-> \(high)" }
}

/// Identifies one connection in the event stream; numbered in order of opening,
/// so a new connection on a reused 4-tuple gets a new ID.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (a: ConnectionID, b: ConnectionID) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "c\(rawValue)" }
}
