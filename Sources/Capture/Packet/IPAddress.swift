public import TrafficModel

/// An IPv4 or IPv6 address as found in a packet header.
///
/// `description` is canonical: dotted quad, or RFC 5952 (lowercase, longest
/// run of two or more zero groups compressed, leftmost on ties).
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    /// The 16 address bytes as two big-endian halves.
    case v6(high: UInt64, low: UInt64)

    public init(v4 bytes: [UInt8]) {
        precondition(bytes.count == 4)
        self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
    }

    public init(v6 bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self = .v6(
            high: bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) },
            low: bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
    }

    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
        case .v6(let high, let low):
            var groups = [UInt16](repeating: 0, count: 8)
            for i in 0..<4 {
                groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
                groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
            }
            // Longest run of zero groups (length >= 2), first one wins ties.
            var bestStart = -1, bestLength = 0, runStart = -1
            for i in 0...8 {
                if i < 8 && groups[i] == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                    runStart = -1
                }
            }
            if bestLength < 2 { bestStart = -1 }
            func hex(_ range: Range<Int>) -> String {
                groups[range].map { String($0, radix: 16) }.joined(separator: ":")
            }
            if bestStart < 0 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x < y
        case (.v4, .v6): true
        case (.v6, .v4): false
        case (.v6(let xh, let xl), .v6(let yh, let yl)): (xh, xl) < (yh, yl)
        }
    }
}

/// An address and TCP port, as seen in a packet.
public struct IPEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    /// The recording's form of this endpoint.
    public var endpoint: Endpoint { Endpoint(host: address.description, port: port) }

    public var description: String { endpoint.description }

    public static func < (a: IPEndpoint, b: IPEndpoint) -> Bool {
        a.address != b.address ? a.address < b.address : a.port < b.port
    }
}
