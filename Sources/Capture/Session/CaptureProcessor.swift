public import TrafficModel
public import Wire

/// What to keep from a capture, and the limits that bound memory.
public struct CaptureOptions: Sendable {
    /// Keep TCP connections on these ports (either side), whatever they speak.
    /// Empty: keep every connection that speaks HTTP/1.x.
    public var ports: Set<UInt16>
    public var reassembly: TCPReassemblerLimits
    public var http: HTTP1Limits
    public var websocket: WebSocketLimits
    /// Raw bytes kept per direction after a parse failure.
    public var maxRawBytes: Int
    /// Checks JWT signatures when a key was given.
    public var verifier: (any JWTSignatureVerifier)?
    /// Where credentials are (the rules file can name cookies).
    public var locator: CredentialLocator = .default
    /// UDP ports tunnels are decapsulated on (`--vxlan-port`, `--geneve-port`).
    public var decapsulation: DecapsulationPorts = .default
    /// Bounds of IP fragment reassembly (`--fragment-*`).
    public var fragments: IPFragmentLimits = .default
    /// Seconds within which an exact copy of a TCP segment is a mirroring
    /// duplicate, dropped and counted (`--duplicate-window`; 0 keeps every copy).
    public var duplicateWindow: Double = 0.01
    /// TLS secrets (`--keylog`). When set, every connection that starts with a
    /// TLS hello is kept: decrypted and decoded like plaintext where the log
    /// has its keys, else an opaque TLS session with an anomaly naming its
    /// client random. Nil: TLS connections are skipped as before.
    public var tlsSecrets: (any TLSSecretSource)?

    public init(
        ports: Set<UInt16> = [], reassembly: TCPReassemblerLimits = .default, http: HTTP1Limits = .default,
        websocket: WebSocketLimits = .default, maxRawBytes: Int = 64 << 10, verifier: (any JWTSignatureVerifier)? = nil
    ) {
        self.ports = ports
        self.reassembly = reassembly
        self.http = http
        self.websocket = websocket
        self.maxRawBytes = maxRawBytes
        self.verifier = verifier
    }
}

/// Counts for progress lines and the final summary.
public struct CaptureStatistics: Sendable, Equatable {
    public var packets = 0
    public var bytes = 0
    public var tcpSegments = 0
    public var otherPackets = 0
    /// IP fragments read; `reassembledDatagrams` of them were put back together.
    public var ipFragments = 0
    public var reassembledDatagrams = 0
    /// Datagrams given up: inconsistent or overlapping fragments, timeouts, limits.
    public var droppedDatagrams = 0
    /// Why the first datagram was given up, for the summary.
    public var firstFragmentProblem: String?
    /// Exact copies of a segment within the duplicate window (mirroring), dropped.
    public var duplicateSegments = 0
    /// Packets that carried TCP through each layer, indexed like `PacketLayers.names`.
    public var layerPackets: [Int] = Array(repeating: 0, count: PacketLayers.names.count)
    public var undecodablePackets = 0
    public var connections = 0
    /// Connections left out because they did not speak HTTP (and no --port named them).
    public var skippedConnections = 0
    public var sessions = 0
    public var exchanges = 0
    public var messages = 0
    public var anomalies = 0
    /// The first reason a packet could not be decoded, for the summary.
    public var firstDecodeError: String?

    public init() {}
}

/// Packets in, finished sessions out: link/IP/TCP decoding, reassembly,
/// HTTP and WebSocket decoding and auth findings, with no I/O. Sessions are
/// handed back as their connections end, so memory holds only open ones.
public struct CaptureProcessor: Sendable {
    public let linkType: LinkType
    public let options: CaptureOptions
    public internal(set) var statistics = CaptureStatistics()
    /// The first packet's time: the recording's `capturedAt`.
    public private(set) var capturedAt: Timestamp?

    var reassembler: TCPReassembler
    /// Connections whose decoder does not exist yet, or never will.
    private var connections: [ConnectionID: Connection] = [:]
    /// Connections being decoded. Boxed: a decoder is a large struct, so the
    /// table stays small with 100 000 connections open, and a packet mutates
    /// its decoder in place instead of copying it out and back.
    private var decoders: [ConnectionID: DecoderBox] = [:]
    /// Reassembly's events for the packet being processed; kept between
    /// packets (emptied) so its storage is reused instead of allocated per packet.
    private var events: [TCPEvent] = []
    private var tracker: AuthTracker?
    var fragments: IPFragmentReassembler
    var duplicates: DuplicateFilter
    /// The tunnels of each open connection's first segment (absent for plain ones).
    var outerPaths: [ConnectionID: String] = [:]
    /// Datagrams of a connection given up in fragment reassembly, kept until it ends.
    var lostDatagrams: [FlowPair: [Anomaly]] = [:]
    private var nextSessionNumber = 1
    private var packetsSinceFlush = 0

    private enum Connection: Sendable {
        case opened(client: Endpoint, server: Endpoint, midstream: Bool, at: Double)
        case skipped
    }

    /// Copy-on-write: `decoder(for:)` copies a box that another copy of the
    /// processor still shares before it is mutated, so the processor keeps
    /// value semantics (hence the unchecked Sendable).
    private final class DecoderBox: @unchecked Sendable {
        var decoder: ConnectionDecoder
        init(_ decoder: ConnectionDecoder) { self.decoder = decoder }
    }

    public init(linkType: LinkType, options: CaptureOptions = CaptureOptions()) {
        self.linkType = linkType
        self.options = options
        self.reassembler = TCPReassembler(limits: options.reassembly)
        self.fragments = IPFragmentReassembler(limits: options.fragments)
        self.duplicates = DuplicateFilter(window: options.duplicateWindow)
    }

    /// Feeds one captured packet; returns the sessions that ended.
    public mutating func process(_ data: some Collection<UInt8>, at timestamp: Timestamp) -> [Session] {
        if capturedAt == nil {
            capturedAt = timestamp
            tracker = AuthTracker(epoch: timestamp.seconds, locator: options.locator, verifier: options.verifier)
        }
        statistics.packets += 1
        statistics.bytes += data.count
        var events: [TCPEvent] = []
        swap(&events, &self.events)
        do {
            try receive(PacketDecoder.decode(Array(data), linkType: linkType, ports: options.decapsulation), at: timestamp, into: &events)
        } catch {
            statistics.undecodablePackets += 1
            if statistics.firstDecodeError == nil { statistics.firstDecodeError = "packet \(statistics.packets): \(error)" }
        }
        packetsSinceFlush += 1
        if packetsSinceFlush >= 1024 {
            packetsSinceFlush = 0
            events += reassembler.flushIdle(now: timestamp)
        }
        let finished = handle(events, truncated: false)
        events.removeAll(keepingCapacity: true)  // also lets go of the packets' bytes
        swap(&events, &self.events)
        return finished
    }

    /// Ends the capture: every open connection is finished (`cut`), marked
    /// `truncated` when the capture ended early.
    public mutating func finish(truncated: Bool) -> [Session] {
        fragments.expire(now: Timestamp(microseconds: .max))
        statistics.droppedDatagrams = fragments.counts.dropped
        return handle(reassembler.finish(), truncated: truncated)
    }

    func seconds(_ t: Timestamp) -> Double {
        Double(t.microseconds - (capturedAt?.microseconds ?? t.microseconds)) / 1_000_000
    }

    private mutating func handle(_ events: [TCPEvent], truncated: Bool) -> [Session] {
        var finished: [Session] = []
        for event in events {
            switch event {
            case .opened(let id, let client, let server, let midstream, let at):
                statistics.connections += 1
                connections[id] = .opened(client: client, server: server, midstream: midstream, at: seconds(at))
            case .data(let id, let direction, let bytes, let at):
                guard let box = decoder(for: id, firstBytes: bytes, from: direction) else { continue }
                box.decoder.receive(bytes, from: direction, at: seconds(at))
                trackAuth(&box.decoder)
            case .gap(let id, let direction, let count, let at):
                guard let box = decoder(for: id, firstBytes: nil, from: direction) else { continue }
                box.decoder.gap(count, from: direction, at: seconds(at))
                trackAuth(&box.decoder)
            case .closed(let id, let kind, let by, let at):
                connections[id] = nil
                let outerPath = outerPaths.removeValue(forKey: id)
                guard var decoder = decoders.removeValue(forKey: id)?.decoder else { continue }
                _ = decoder.finish(kind: kind, by: by, at: seconds(at), captureTruncated: truncated && kind == .cut)
                trackAuth(&decoder)
                var session = decoder.session
                session.auth = AuthTracker.canonicalOrder(session.auth)
                session.outerPath = outerPath
                if !lostDatagrams.isEmpty, let lost = lostDatagrams.removeValue(forKey: FlowPair(session.client, session.server)) {
                    session.anomalies += lost
                }
                statistics.sessions += 1
                statistics.exchanges += session.exchanges.count
                statistics.messages += session.websocket?.messages.count ?? 0
                statistics.anomalies += session.anomalies.count
                finished.append(session)
            }
        }
        return finished
    }

    /// The decoder of a connection, created when its first bytes show what it
    /// speaks; nil for a connection left out.
    private mutating func decoder(for id: ConnectionID, firstBytes: ArraySlice<UInt8>?, from direction: Direction) -> DecoderBox? {
        if let index = decoders.index(forKey: id) {
            if !isKnownUniquelyReferenced(&decoders.values[index]) {
                decoders.values[index] = DecoderBox(decoders.values[index].decoder)
            }
            return decoders.values[index]
        }
        guard case .opened(let client, let server, let midstream, let at) = connections[id] else { return nil }
        let limits = ConnectionDecoder.Limits(http: options.http, websocket: options.websocket, maxRawBytes: options.maxRawBytes)
        var decoder = ConnectionDecoder(id: "s\(nextSessionNumber)", client: client, server: server, start: at, midstream: midstream, limits: limits)
        var decoded = firstBytes.map { decoder.decide(firstBytes: $0, from: direction) } ?? false
        if !decoded, let firstBytes, let secrets = options.tlsSecrets {
            decoded = decoder.startTLS(firstBytes: firstBytes, from: direction, secrets: secrets)
        }
        guard decoded || !options.ports.isEmpty else {
            if firstBytes != nil {
                statistics.skippedConnections += 1
                connections[id] = .skipped
            }
            return nil
        }
        nextSessionNumber += 1
        connections[id] = nil
        let box = DecoderBox(decoder)
        decoders[id] = box
        return box
    }

    /// Auth findings of the messages a packet completed, kept on the session.
    private mutating func trackAuth(_ decoder: inout ConnectionDecoder) {
        guard !decoder.completed.isEmpty, var tracker else { return }
        self.tracker = nil  // so the copy being updated is the only one (no copy-on-write of its tables)
        decoder.trackAuth(&tracker)
        self.tracker = tracker
    }
}
