import TrafficModel

/// The packet stage: a decoded packet to TCP segments, through fragment
/// reassembly and the duplicate filter, counting the layers it came through.
extension CaptureProcessor {
    /// A datagram reassembled inside a tunnel may itself be a fragment of an
    /// outer one; this bounds how often a packet goes round.
    static let maxReassemblyRounds = 4

    mutating func receive(_ decoded: DecodedPacket, at timestamp: Timestamp, into events: inout [TCPEvent]) throws(CaptureError) {
        var packet = decoded
        for _ in 0..<Self.maxReassemblyRounds {
            switch packet {
            case .tcp(let segment):
                statistics.tcpSegments += 1
                count(segment.layers)
                if duplicates.isDuplicate(segment, at: timestamp) {
                    statistics.duplicateSegments += 1
                    return
                }
                let ports = options.ports
                guard ports.isEmpty || ports.contains(segment.source.port) || ports.contains(segment.destination.port) else { return }
                let first = events.count
                reassembler.process(segment, at: timestamp, into: &events)
                // The path is spelled only when a connection opens, not per packet.
                if !segment.tunnels.isEmpty {
                    for event in events[first...] {
                        if case .opened(let id, _, _, _, _) = event { outerPaths[id] = TunnelLayer.path(segment.tunnels) }
                    }
                }
                return
            case .ipFragment(let fragment):
                statistics.ipFragments += 1
                let outcome = fragments.add(fragment, at: timestamp)
                statistics.droppedDatagrams = fragments.counts.dropped
                switch outcome {
                case .pending:
                    return
                case .dropped(let reason, let head):
                    if statistics.firstFragmentProblem == nil { statistics.firstFragmentProblem = reason }
                    noteLostDatagram(fragment.key, head: head, reason: reason, at: timestamp)
                    return
                case .complete(let datagram):
                    statistics.reassembledDatagrams += 1
                    packet = try PacketDecoder.decode(datagram, ports: options.decapsulation)
                }
            case .notTCP:
                statistics.otherPackets += 1
                return
            }
        }
    }

    /// Most connections with a dropped datagram remembered until they end.
    static let maxLostDatagramFlows = 1024

    /// A TCP datagram given up (inconsistent or overlapping fragments, limits)
    /// becomes an `ip-fragment` anomaly on its connection's session, next to
    /// the gap reassembly reports where its bytes were.
    private mutating func noteLostDatagram(_ key: IPFragment.Key, head: [UInt8], reason: String, at timestamp: Timestamp) {
        guard key.proto == 6, head.count == 4, lostDatagrams.count < Self.maxLostDatagramFlows else { return }
        let source = IPEndpoint(key.source, UInt16(head[0]) << 8 | UInt16(head[1])).endpoint
        let destination = IPEndpoint(key.destination, UInt16(head[2]) << 8 | UInt16(head[3])).endpoint
        let anomaly = Anomaly(kind: .ipFragment, at: seconds(timestamp), detail: "IP datagram from \(source) to \(destination) dropped: \(reason)")
        lostDatagrams[FlowPair(source, destination), default: []].append(anomaly)
    }

    /// `layerPackets` is indexed by bit position, the order of `PacketLayers.names`.
    private mutating func count(_ layers: PacketLayers) {
        var bits = layers.rawValue
        while bits != 0 {
            statistics.layerPackets[bits.trailingZeroBitCount] += 1
            bits &= bits - 1
        }
    }
}

/// A connection's two endpoints, in either order.
struct FlowPair: Hashable, Sendable {
    let low: String
    let high: String

    init(_ a: Endpoint, _ b: Endpoint) {
        let (x, y) = (a.description, b.description)
        (low, high) = x < y ? (x, y) : (y, x)
    }
}

extension CaptureStatistics {
    /// "vxlan 1,204 packets"-style pairs for every layer seen, in a fixed order.
    public var layerCounts: [(layer: String, packets: Int)] {
        zip(PacketLayers.names, layerPackets).compactMap { $1 > 0 ? ($0.1, $1) : nil }
    }
}

extension IPFragmentReassembler.Counts {
    var dropped: Int { inconsistent + timedOut + overLimit }
}
